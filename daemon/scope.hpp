// The scopes of API tokens, in order: admin includes deploy, deploy includes
// read, read includes metrics (a metrics token may only scrape /metrics).
// Kept apart from token_service so that the router and the fuzz targets
// name scopes without the token store.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

namespace bluegreen::daemon {

// Stored by name, never by number: the order can grow.
enum class scope { metrics = 0, read = 1, deploy = 2, admin = 3 };

std::string_view to_string(scope s);
std::optional<scope> parse_scope(std::string_view text);
inline bool grants(scope have, scope need) { return have >= need; }

}  // namespace bluegreen::daemon
