// Validation of refs (branches, tags, commit ids) before they go near a
// shell, and of the commit ids that resolving them prints. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bluegreen::engine {

// Returns why `ref` is refused, or nothing when it is acceptable: at most
// 200 characters of letters, digits, '.', '_', '-', '/', not starting with
// '-' or '/', and following git's ref-name rules (no "..", no "//", no
// component starting with '.', no ".lock" ending, no trailing '/' or '.').
std::optional<std::string> check_ref(std::string_view ref);

// True for a full commit id: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
bool is_commit_id(std::string_view text);

}  // namespace bluegreen::engine
