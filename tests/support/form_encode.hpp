// application/x-www-form-urlencoded text as Slack, Mattermost and GitHub
// send it, for tests that build such bodies. Header-only and free of the
// daemon's libraries, so the fuzz build can use it. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace bluegreen::testing {

// application/x-www-form-urlencoded: unreserved bytes as they are, ' ' as
// '+', everything else %XX.
inline std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '*') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace bluegreen::testing
