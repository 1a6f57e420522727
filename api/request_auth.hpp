// Who sent an API request: the bearer token of its Authorization header
// when it has one (curl, CI), otherwise the dashboard session of its
// bluegreen_session cookie. A request riding the cookie that changes
// something must also come from the daemon's own pages (api/origin_check).
// The refusals say what to do: send a token, or sign in again.
//
// Thread-safety: as the token and session services it is given.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/http_message.hpp"
#include "daemon/session_service.hpp"
#include "daemon/token_service.hpp"

namespace bluegreen::api {

struct caller {
  daemon::token_info token;  // name and current scope
  std::string channel;       // "api" for a bearer token, "dashboard" for a session
  // The session's expiry; nullopt for a bearer token.
  std::optional<std::string> session_expires_at;
  // Whether the credential still counts with the scope asked for when
  // asked later (not revoked, not signed out, not expired), for streams
  // that outlive the request.
  std::function<bool()> still_allowed;
};

// Where the daemon is reached from, for the session cookie's checks.
struct site_policy {
  std::string public_origin;   // origin of server.public_url; empty when not set
  bool secure_cookie = false;  // browsers reach the daemon over TLS
};

// The request's caller, or nothing with the refusal to send in `refused`.
// `needs` is the scope its still_allowed() asks for.
std::optional<caller> authenticate(const request& req, daemon::token_service& tokens,
                                   daemon::session_service& sessions, const site_policy& site,
                                   daemon::scope needs, response& refused);

}  // namespace bluegreen::api
