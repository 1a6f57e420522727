// Parsing and printing of durations written with units ("500ms", "90s",
// "10m", "1h30m"), as used in the configuration. Pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bluegreen::daemon {

// Accepts one or more <integer><unit> groups, units ms, s, m, h, d.
// Returns nullopt for anything else (a bare number has no unit and is refused).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest exact spelling: 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(std::chrono::milliseconds value);

}  // namespace bluegreen::daemon
