#include "api/mattermost_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <array>

namespace bluegreen::api {

namespace {

constexpr std::string_view kScheme = "Token ";

using digest = std::array<unsigned char, 32>;

digest sha256(std::string_view text) {
  digest out{};
  unsigned int length = 0;
  static const char kEmpty = 0;
  EVP_Digest(text.empty() ? &kEmpty : text.data(), text.size(), out.data(), &length, EVP_sha256(),
             nullptr);
  return out;
}

refusal refuse(std::string message) { return refusal{401, "unauthorized", std::move(message)}; }

}  // namespace

std::optional<refusal> check_mattermost_token(std::string_view token,
                                              const std::string* authorization) {
  if (token.empty())
    return refuse(
        "the Mattermost token is empty, so no request can be verified; the daemon's operator "
        "must put the slash command's token in the file [chat.mattermost] token names");
  if (!authorization)
    return refuse(
        "missing Authorization header: Mattermost sends 'Authorization: Token <token>' with "
        "every slash command");
  std::string_view value(*authorization);
  if (value.size() < kScheme.size() ||
      strncasecmp(value.data(), kScheme.data(), kScheme.size()) != 0)
    return refuse("malformed Authorization header: expected 'Token <token>'");
  digest expected = sha256(token);
  digest given = sha256(value.substr(kScheme.size()));
  if (CRYPTO_memcmp(expected.data(), given.data(), expected.size()) != 0)
    return refuse(
        "the token does not match: is [chat.mattermost] token the token of the Mattermost slash "
        "command that sends this request?");
  return std::nullopt;
}

request_verifier mattermost_token_verifier(std::function<const std::optional<std::string>&()> token,
                                           std::function<refusal()> unavailable) {
  return [token = std::move(token),
          unavailable = std::move(unavailable)](const request& req) -> std::optional<refusal> {
    const auto& value = token();
    std::optional<refusal> refused =
        value ? check_mattermost_token(*value, req.header("authorization")) : unavailable();
    if (refused)
      spdlog::warn("refused a request to /hooks/mattermost from {}: {}", req.remote,
                   refused->message);
    return refused;
  };
}

}  // namespace bluegreen::api
