#include "daemon/engine/operation_stats.hpp"

#include <algorithm>

namespace bluegreen::engine {

const std::vector<double>& operation_stats::operation_bounds() {
  // Deploys take from seconds (a restart) to tens of minutes (a build).
  static const std::vector<double> bounds{1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600};
  return bounds;
}

const std::vector<double>& operation_stats::switch_bounds() {
  // A switch is a reload and a confirmation: well under a second to a
  // slow cloud API's tens of seconds.
  static const std::vector<double> bounds{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  return bounds;
}

void operation_stats::ended(std::string_view app, storage::operation_kind kind,
                            storage::operation_state state) {
  ++ends_[end_key{std::string(app), kind, state}];
}

void operation_stats::ran(storage::operation_kind kind, double seconds) {
  auto it = durations_.find(kind);
  if (it == durations_.end())
    it = durations_.emplace(kind, daemon::histogram(operation_bounds())).first;
  it->second.observe(std::max(0.0, seconds));
}

void operation_stats::routed(std::string_view app, double unix_seconds) {
  auto it = last_routed_.find(app);
  if (it == last_routed_.end())
    last_routed_.emplace(std::string(app), unix_seconds);
  else
    it->second = std::max(it->second, unix_seconds);
}

void operation_stats::switched(std::string_view app, double seconds) {
  auto it = switch_durations_.find(app);
  if (it == switch_durations_.end())
    it = switch_durations_.emplace(std::string(app), daemon::histogram(switch_bounds())).first;
  it->second.observe(std::max(0.0, seconds));
}

}  // namespace bluegreen::engine
