// Small helpers for the text of HTTP header values. Pure functions.
#pragma once

#include <string_view>

namespace bluegreen::api {

// `s` without the optional white space (spaces and tabs) HTTP allows around
// a header value and its list elements.
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace bluegreen::api
