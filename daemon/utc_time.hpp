// Times as the state database and the API write them: UTC, ISO 8601 /
// RFC 3339 with milliseconds, "2026-11-30T09:07:59.123Z" (what SQLite's
// strftime('%Y-%m-%dT%H:%M:%fZ') gives). Pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bluegreen::daemon {

std::string utc_text(std::chrono::system_clock::time_point at);
inline std::string utc_now() { return utc_text(std::chrono::system_clock::now()); }
// The moment `text` names, written as above (milliseconds optional);
// nothing for any other text.
std::optional<std::chrono::system_clock::time_point> parse_utc_text(std::string_view text);

}  // namespace bluegreen::daemon
