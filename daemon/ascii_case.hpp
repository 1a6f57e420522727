// ASCII case folding for protocol text (host names, header names, URL
// schemes, tokens) where only A-Z fold and the locale must not matter.
// Header-only, so the address library below the daemon core can use it too.
//
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace bluegreen::daemon {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = ascii_lower(c);
  return out;
}

constexpr bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

constexpr bool starts_with_ignoring_ascii_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         equal_ignoring_ascii_case(text.substr(0, prefix.size()), prefix);
}

}  // namespace bluegreen::daemon
