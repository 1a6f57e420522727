#include "api/bearer_auth.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "api/error_response.hpp"

namespace bluegreen::api {

namespace {

constexpr std::string_view kBearer = "Bearer ";

}  // namespace

std::optional<daemon::token_info> bearer_token(const request& req, daemon::token_service& tokens,
                                               response& refused) {
  const std::string* auth = req.header("authorization");
  if (!auth || auth->size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), auth->begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    refused = error_response(401, "unauthorized",
                             "send an API token as 'Authorization: Bearer <token>'; create one "
                             "with 'bluegreend token create NAME --scope read'");
    refused.headers.emplace_back("WWW-Authenticate", "Bearer");
    return std::nullopt;
  }
  // The server joins repeated headers with ", ": two Authorization headers
  // would be two credentials, and which one counts must not be a guess.
  if (auth->find(',') != std::string::npos) {
    refused = error_response(400, "bad_request",
                             "send exactly one Authorization header with one bearer token");
    return std::nullopt;
  }
  auto token = tokens.verify(std::string_view(*auth).substr(kBearer.size()));
  if (!token) {
    refused =
        error_response(401, "unauthorized", "the API token is not valid (unknown or revoked)");
    refused.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  }
  return token;
}

std::function<bool()> token_still_allowed(const request& req, daemon::token_service& tokens,
                                          daemon::scope needs) {
  const std::string* auth = req.header("authorization");
  std::string secret = auth ? auth->substr(std::min(auth->size(), kBearer.size())) : std::string();
  return [&tokens, secret = std::move(secret), needs] {
    auto now = tokens.verify(secret);
    return now && daemon::grants(now->granted, needs);
  };
}

}  // namespace bluegreen::api
