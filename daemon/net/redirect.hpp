// The rules for following a redirect, kept apart from the sockets so they
// can be tested: which statuses redirect, and what the next request is.
// 303 (and 301/302 after a POST, as browsers and curl do) becomes a GET
// without a body; 307 and 308 repeat the method and body. Credentials
// (Authorization, Cookie, Proxy-Authorization) never follow a redirect to
// another scheme, host or port.
//
// Thread-safety: pure functions.
#pragma once

#include "daemon/net/http_request.hpp"
#include "daemon/net/url.hpp"

namespace bluegreen::net {

bool is_redirect(int status);

// The request to send to `to` after `sent` (to `from`) was answered with
// the redirect `status`.
http_request redirected_request(const http_request& sent, const url& from, const url& to,
                                int status);

}  // namespace bluegreen::net
