// Substitution of {name} placeholders in configured commands and expected
// bodies. Only the names given are replaced, so text such as git's
// "{ref}^{commit}" keeps its "^{commit}". Pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace bluegreen::daemon {

using template_values = std::map<std::string, std::string, std::less<>>;

// Replaces each {name} with its value, shell-quoted when `quote` is true
// (for commands); as is otherwise (for expected bodies).
std::string expand(std::string_view text, const template_values& values, bool quote);

}  // namespace bluegreen::daemon
