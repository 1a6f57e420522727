// The dashboard's session cookie as HTTP text: finding its values in a
// Cookie header, and the Set-Cookie that sets or clears it. The cookie is
// HttpOnly (no page script can read it), SameSite=Strict (a browser sends
// it only on requests that another site did not start), Path=/ and, when
// browsers reach the daemon over TLS, Secure. Pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::api {

inline constexpr std::string_view kSessionCookie = "bluegreen_session";

// The values of the cookies named bluegreen_session in a Cookie header
// ("a=1; bluegreen_session=xyz"), in the order sent; at most a few, so a
// header full of them costs no more than that. Values that are not session
// values (43 base64url characters) are left out.
std::vector<std::string> session_cookie_values(std::string_view cookie_header);

// "bluegreen_session=<value>; Path=/; HttpOnly; SameSite=Strict;
// Max-Age=<seconds>", then "; Secure" when `secure`.
std::string session_set_cookie(std::string_view value, std::chrono::seconds max_age, bool secure);

// The Set-Cookie that makes a browser drop the cookie (Max-Age=0).
std::string cleared_session_cookie(bool secure);

}  // namespace bluegreen::api
