// Process-wide logging set-up: spdlog to stderr, for journald under
// systemd. When JOURNAL_STREAM is set journald adds its own timestamps, so
// ours are left out. Call once, before other threads start.
#pragma once

#include <optional>
#include <string_view>

namespace bluegreen::daemon {

// Returns false when `level` is not a spdlog level name.
bool setup_logging(std::string_view level);

}  // namespace bluegreen::daemon
