#include "api/session_cookie.hpp"

#include "api/header_value.hpp"
#include "daemon/session_service.hpp"

namespace bluegreen::api {

namespace {

constexpr std::size_t kMaxValues = 4;

}  // namespace

std::vector<std::string> session_cookie_values(std::string_view cookie_header) {
  std::vector<std::string> values;
  // Pairs are separated by ';' (RFC 6265, 5.4); the server joins repeated
  // Cookie headers with ", ", which a session value never holds, so ','
  // separates too.
  std::size_t start = 0;
  while (start <= cookie_header.size() && values.size() < kMaxValues) {
    std::size_t end = cookie_header.find_first_of(";,", start);
    if (end == std::string_view::npos) end = cookie_header.size();
    std::string_view pair = trim_ows(cookie_header.substr(start, end - start));
    start = end + 1;
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim_ows(pair.substr(0, eq)) != kSessionCookie) continue;
    std::string_view value = trim_ows(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (daemon::is_session_value(value)) values.emplace_back(value);
  }
  return values;
}

std::string session_set_cookie(std::string_view value, std::chrono::seconds max_age, bool secure) {
  return std::string(kSessionCookie) + "=" + std::string(value) +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age.count()) +
         (secure ? "; Secure" : "");
}

std::string cleared_session_cookie(bool secure) {
  return session_set_cookie("", std::chrono::seconds(0), secure);
}

}  // namespace bluegreen::api
