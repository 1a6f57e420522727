// Splits a request target into a decoded path and query parameters, and
// refuses what no route should ever see: dot segments ("..", "."), encoded
// slashes or NUL bytes, and malformed percent-encoding. Pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/result.hpp"

namespace bluegreen::api {

struct parsed_target {
  std::vector<std::string> segments;  // decoded path segments
  std::string path;                   // decoded path, "/a/b"
  std::map<std::string, std::string> query;
};

// A target to refuse with 400 is a failure (kind invalid, code "bad_path")
// saying what is wrong with it.
daemon::result<parsed_target> parse_target(std::string_view target);

// The fields of application/x-www-form-urlencoded text - a query, or a form
// body such as a webhook's: name=value pairs joined by '&', '+' for a space,
// percent-encoding decoded; a repeated name keeps its last value. Malformed
// percent-encoding or text that is not UTF-8 is a failure (kind invalid,
// code "bad_form") whose message names `what` ("the query").
daemon::result<std::map<std::string, std::string>> parse_form(std::string_view text,
                                                              std::string_view what);

// The value of `name` in parsed form fields, or "" when absent.
std::string form_value(const std::map<std::string, std::string>& fields, const std::string& name);

}  // namespace bluegreen::api
