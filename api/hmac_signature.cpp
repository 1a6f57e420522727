#include "api/hmac_signature.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cctype>
#include <cstring>

#include "daemon/hmac_sha256.hpp"

namespace bluegreen::api {

namespace {

constexpr std::string_view kPrefix = "sha256=";
constexpr std::size_t kDigestBytes = 32;

using digest = std::array<unsigned char, kDigestBytes>;

digest hmac_sha256(std::string_view secret, std::string_view body) {
  digest out{};
  std::string raw = daemon::hmac_sha256(secret, body);
  std::memcpy(out.data(), raw.data(), kDigestBytes);
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<digest> parse_hex_digest(std::string_view hex) {
  if (hex.size() != 2 * kDigestBytes) return std::nullopt;
  digest out{};
  for (std::size_t i = 0; i < kDigestBytes; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

refusal refuse(std::string message) { return refusal{401, "unauthorized", std::move(message)}; }

}  // namespace

std::optional<refusal> check_hmac_sha256(std::string_view secret, std::string_view body,
                                         const std::string* signature,
                                         std::string_view header_name) {
  std::string header(header_name);
  // An empty key would let anyone sign.
  if (secret.empty())
    return refuse(
        "this route has no signing secret configured, so it accepts no request; the "
        "daemon's operator must set one");
  if (!signature)
    return refuse("missing " + header +
                  " header: sign the raw request body with HMAC-SHA256 under the shared secret "
                  "and send '" +
                  header + ": sha256=<hex digest>'");
  // The server joins repeated headers with ", ", which no digest contains.
  std::string_view value(*signature);
  if (!value.starts_with(kPrefix))
    return refuse("malformed " + header +
                  " header: it must start with 'sha256=' (send exactly "
                  "one, as 'sha256=' followed by 64 hex digits)");
  auto presented = parse_hex_digest(value.substr(kPrefix.size()));
  if (!presented)
    return refuse("malformed " + header +
                  " header: 'sha256=' must be followed by exactly 64 hex "
                  "digits (send exactly one such header)");
  digest expected = hmac_sha256(secret, body);
  if (CRYPTO_memcmp(expected.data(), presented->data(), kDigestBytes) != 0)
    return refuse("the " + header +
                  " signature does not match the request body: sign the raw body exactly as sent, "
                  "with the secret shared with this daemon");
  return std::nullopt;
}

request_verifier hmac_sha256_verifier(std::string secret, std::string header_name) {
  std::string lower = header_name;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return [secret = std::move(secret), header_name = std::move(header_name),
          lower = std::move(lower)](const request& req) {
    return check_hmac_sha256(secret, req.body, req.header(lower), header_name);
  };
}

}  // namespace bluegreen::api
