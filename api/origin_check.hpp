// The check that keeps other sites from acting with the dashboard's
// session: a request a browser sends carries the Origin of the page that
// made it and, in current browsers, Sec-Fetch-Site. A state-changing
// request riding the session cookie is refused unless its Origin is the
// daemon's own: "http://" + its Host header, or the origin of
// server.public_url (the address browsers use when a TLS proxy is in front).
// Together with SameSite=Strict (the browser does not even send the cookie
// on a request another site started) this stops cross-site request forgery
// whether or not the browser honours one of the two. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/http_message.hpp"
#include "api/route_policy.hpp"

namespace bluegreen::api {

// "https://deploy.example.com" for "https://deploy.example.com:443/x":
// scheme, host and a port other than the scheme's default, in lower case;
// nullopt for text that is not an http:// or https:// URL.
std::optional<std::string> origin_of_url(std::string_view url);

// Whether `method` only reads (GET, HEAD), so a request of it needs no
// Origin.
bool is_safe_method(std::string_view method);

// 403 "cross_origin" when the request came from another site: its
// Sec-Fetch-Site is "cross-site", or its Origin is not the daemon's own
// (`public_origin`: the origin of server.public_url, empty when not set).
// Without an Origin header it is refused when `origin_required`, and let
// through otherwise (a client that is not a browser, such as curl).
std::optional<refusal> cross_site_refusal(const request& req, std::string_view public_origin,
                                          bool origin_required);

}  // namespace bluegreen::api
