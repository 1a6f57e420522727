#include "api/request_auth.hpp"

#include "api/bearer_auth.hpp"
#include "api/error_response.hpp"
#include "api/origin_check.hpp"
#include "api/session_cookie.hpp"

namespace bluegreen::api {

std::optional<caller> authenticate(const request& req, daemon::token_service& tokens,
                                   daemon::session_service& sessions, const site_policy& site,
                                   daemon::scope needs, response& refused) {
  const std::string* cookie = req.header("cookie");
  std::vector<std::string> values;
  if (!req.header("authorization") && cookie) values = session_cookie_values(*cookie);
  if (values.empty()) {
    auto token = bearer_token(req, tokens, refused);
    if (!token) return std::nullopt;
    return caller{std::move(*token), "api", std::nullopt, token_still_allowed(req, tokens, needs)};
  }
  if (!is_safe_method(req.method)) {
    if (auto r = cross_site_refusal(req, site.public_origin, true)) {
      refused = error_response(*r);
      return std::nullopt;
    }
  }
  for (const auto& value : values) {
    auto session = sessions.verify(value);
    if (!session) continue;
    return caller{std::move(session->token), "dashboard", std::move(session->expires_at),
                  [&sessions, value, needs] {
                    auto now = sessions.verify(value);
                    return now && daemon::grants(now->token.granted, needs);
                  }};
  }
  refused = error_response(401, "unauthorized",
                           "your dashboard session has ended (signed out, expired, or its token "
                           "was revoked): sign in again with an API token");
  refused.headers.emplace_back("Set-Cookie", cleared_session_cookie(site.secure_cookie));
  return std::nullopt;
}

}  // namespace bluegreen::api
