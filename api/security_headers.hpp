// The headers every response of the daemon carries, API and dashboard
// alike: the page may load scripts, styles and data only from the daemon
// itself (no inline script or style, so an injected one does not run), may
// not be framed (no clickjacking), and no content is sniffed into another
// type or leaks its URL in a Referer. Constants.
#pragma once

#include <array>
#include <string_view>
#include <utility>

namespace bluegreen::api {

inline constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kSecurityHeaders{{
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
}};

}  // namespace bluegreen::api
