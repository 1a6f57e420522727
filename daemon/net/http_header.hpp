// One HTTP header field as sent or received, and a case-insensitive lookup
// over a list of them (names compare without regard to case; a list keeps
// repeated fields, in order).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::net {

struct http_header {
  std::string name;
  std::string value;
};

// The value of the first field called `name`, if any.
std::optional<std::string> find_header(const std::vector<http_header>& headers,
                                       std::string_view name);

bool header_name_is(std::string_view name, std::string_view expected);

// A field value that is a non-negative decimal integer, with optional spaces
// or tabs around it: Retry-After's delay-seconds, RateLimit-Remaining and
// the like. Nothing for anything else (an HTTP date, a sign, an overflow).
std::optional<std::int64_t> decimal_value(std::string_view value);

}  // namespace bluegreen::net
