// operation_stats counts what the engine did, for /metrics: operations that
// ended (by app, kind and end state), how long operations ran (by kind) and
// how long traffic switches took (by app), and when each app's load
// balancer was last switched. The event hub tells it of an operation's end
// only once the end is committed, so a rolled-back change is never
// counted; the traffic controller tells it of switches. Each is a map
// update on the io thread, nothing a switch would notice.
//
// Thread-safety: the io thread, like the engine that feeds and reads it.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "daemon/histogram.hpp"
#include "storage/operation_kind.hpp"
#include "storage/operation_state.hpp"

namespace bluegreen::engine {

class operation_stats {
 public:
  struct end_key {
    std::string app;
    storage::operation_kind kind;
    storage::operation_state state;
    auto operator<=>(const end_key&) const = default;
  };
  // Bounds of the duration histograms, in seconds.
  static const std::vector<double>& operation_bounds();
  static const std::vector<double>& switch_bounds();

  // An operation reached a state it never leaves.
  void ended(std::string_view app, storage::operation_kind kind, storage::operation_state state);
  // An operation stopped running (it ended, or a deploy became ready) after
  // `seconds`.
  void ran(storage::operation_kind kind, double seconds);
  // The app's load balancer took a new routing at `unix_seconds`.
  void routed(std::string_view app, double unix_seconds);
  // A traffic change of the app was applied and confirmed in `seconds`.
  void switched(std::string_view app, double seconds);

  const std::map<end_key, std::uint64_t>& ends() const { return ends_; }
  const std::map<storage::operation_kind, daemon::histogram>& durations() const {
    return durations_;
  }
  const std::map<std::string, daemon::histogram, std::less<>>& switch_durations() const {
    return switch_durations_;
  }
  // App -> when its routing last changed (Unix time), as far as known.
  const std::map<std::string, double, std::less<>>& last_routed() const { return last_routed_; }

 private:
  std::map<end_key, std::uint64_t> ends_;
  std::map<storage::operation_kind, daemon::histogram> durations_;
  std::map<std::string, daemon::histogram, std::less<>> switch_durations_;
  std::map<std::string, double, std::less<>> last_routed_;
};

}  // namespace bluegreen::engine
