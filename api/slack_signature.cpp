#include "api/slack_signature.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <cctype>

#include "api/hmac_signature.hpp"
#include "api/target.hpp"
#include "daemon/ascii_case.hpp"
#include "daemon/utc_time.hpp"
#include "storage/delivery_repository.hpp"
#include "storage/error.hpp"

namespace bluegreen::api {

namespace {

constexpr std::string_view kVersion = "v0=";

refusal refuse(std::string message) { return refusal{401, "unauthorized", std::move(message)}; }

// Seconds since the epoch as Slack writes them: digits only.
std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

bool is_hex(std::string_view text) {
  for (char c : text)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string header_key(std::string_view name) { return daemon::ascii_lower(name); }

std::int64_t unix_seconds(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

}  // namespace

std::string slack_signature(std::string_view secret, std::string_view timestamp,
                            std::string_view body) {
  std::string base = "v0:" + std::string(timestamp) + ":" + std::string(body);
  return std::string(kVersion) + hmac_sha256_hex(secret, base);
}

std::optional<refusal> check_slack_signature(std::string_view secret, std::string_view body,
                                             const std::string* timestamp,
                                             const std::string* signature, std::int64_t now) {
  const std::string sig_header(kSlackSignatureHeader);
  const std::string ts_header(kSlackTimestampHeader);
  // An empty key would let anyone sign.
  if (secret.empty())
    return refuse(
        "the Slack signing secret is empty, so no request can be verified; the daemon's operator "
        "must put the app's signing secret in the file [chat.slack] signing_secret names");
  if (!signature || !timestamp)
    return refuse("missing " + std::string(!signature ? sig_header : ts_header) +
                  " header: requests must come from Slack, signed with the app's signing secret");
  auto ts = parse_timestamp(*timestamp);
  if (!ts)
    return refuse("malformed " + ts_header + " header: expected seconds since 1970 in digits");
  if (*ts < now - kSlackWindowSeconds)
    return refuse("the request's " + ts_header + " is more than " +
                  std::to_string(kSlackWindowSeconds) +
                  " s in the past: a late or replayed request (check this machine's clock if "
                  "every request is refused)");
  if (*ts > now + kSlackWindowSeconds)
    return refuse("the request's " + ts_header + " is more than " +
                  std::to_string(kSlackWindowSeconds) +
                  " s in the future (check this machine's clock if every request is refused)");
  std::string_view presented(*signature);
  if (!presented.starts_with(kVersion) || presented.size() != kVersion.size() + 64 ||
      !is_hex(presented.substr(kVersion.size())))
    return refuse("malformed " + sig_header + " header: expected 'v0=' followed by 64 hex digits");
  std::string expected = slack_signature(secret, *timestamp, body);
  std::string given = daemon::ascii_lower(presented);
  // Same length here (checked above); the content compared in constant time.
  if (CRYPTO_memcmp(expected.data(), given.data(), expected.size()) != 0)
    return refuse("the " + sig_header +
                  " signature does not match the request: is [chat.slack] signing_secret the "
                  "signing secret of the Slack app that sends this command?");
  return std::nullopt;
}

request_verifier slack_request_verifier(slack_verifier_options options) {
  return [options = std::move(options)](const request& req) -> std::optional<refusal> {
    const std::string* signature = req.header(header_key(kSlackSignatureHeader));
    const std::string* timestamp = req.header(header_key(kSlackTimestampHeader));
    const auto& secret = options.secret();
    if (!secret) {
      refusal why = options.unavailable();
      spdlog::warn("refused a request to /hooks/slack from {}: {}", req.remote, why.message);
      return why;
    }
    if (!signature && !timestamp) {
      // Slack's certificate check carries no command; its handler only
      // answers 200.
      auto form = parse_form(req.body, "the body");
      if (form && form_value(*form, "ssl_check") == "1") return std::nullopt;
    }
    auto now = options.now();
    auto refused =
        check_slack_signature(*secret, req.body, timestamp, signature, unix_seconds(now));
    if (!refused) {
      std::int64_t ts = *parse_timestamp(*timestamp);
      // The window is checked in whole seconds: a request is fresh until
      // now reaches ts + 301 s, so its record is kept that long.
      auto expires =
          std::chrono::system_clock::time_point(std::chrono::seconds(ts + kSlackWindowSeconds + 1));
      try {
        storage::delivery_repository deliveries(*options.db);
        std::string at = daemon::utc_text(now);
        deliveries.remove_expired(at);
        if (!deliveries.remember("slack", daemon::ascii_lower(*signature), at, daemon::utc_text(expires)))
          refused =
              refuse("this request was already received (same " +
                     std::string(kSlackSignatureHeader) + "): a replayed request is not run again");
      } catch (const storage::error& e) {
        spdlog::error("cannot record a Slack request's signature against replays: {}", e.what());
        return refusal{503, "unavailable",
                       "the daemon cannot record the request in its state database right now; "
                       "try again shortly"};
      }
    }
    if (refused)
      spdlog::warn("refused a request to /hooks/slack from {}: {}", req.remote, refused->message);
    return refused;
  };
}

}  // namespace bluegreen::api
