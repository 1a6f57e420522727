// Quoting of values substituted into shell commands. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace bluegreen::daemon {

// Wraps `value` in single quotes so that a POSIX shell reads it back as one
// word, unchanged: abc -> 'abc', it's -> 'it'\''s'.
std::string shell_quote(std::string_view value);

}  // namespace bluegreen::daemon
