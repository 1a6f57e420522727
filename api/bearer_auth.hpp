// Bearer-token authentication of a request: the one "Authorization: Bearer
// <token>" header, checked against the active tokens. The refusals say what
// to send instead, and which one a client gets (401 with WWW-Authenticate, or
// 400 for two credentials) follows RFC 6750.
//
// Thread-safety: as the token_service it is given.
#pragma once

#include <functional>
#include <optional>

#include "api/http_message.hpp"
#include "daemon/token_service.hpp"

namespace bluegreen::api {

// The token of the request's bearer header, or nothing with the refusal to
// send in `refused`.
std::optional<daemon::token_info> bearer_token(const request& req, daemon::token_service& tokens,
                                               response& refused);

// For a request whose bearer token was accepted: whether that token still
// counts with scope `needs` when asked later (not revoked since), for
// streams that outlive the request. Cheap: tokens are verified from memory.
std::function<bool()> token_still_allowed(const request& req, daemon::token_service& tokens,
                                          daemon::scope needs);

}  // namespace bluegreen::api
