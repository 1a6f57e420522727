// The pure rules of looking at reality: whether what an app's load balancer
// and its identity probe say agrees with the routing bluegreend recorded
// (and, when not, a reason people understand), how long the reality loop
// waits between looks (spread over the apps, backing off while a load
// balancer cannot be read), and what an app's health check is. Shared by
// establishing the live colour before an operation and the reality loop.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/checks/identity_probe.hpp"
#include "daemon/config.hpp"
#include "daemon/engine/app_state_cache.hpp"
#include "daemon/traffic/backend.hpp"
#include "daemon/traffic/routing.hpp"

namespace bluegreen::engine {

// Reality rounds running at once across all apps.
inline constexpr std::size_t kConcurrentLooks = 4;
// The longest wait between two looks at an app whose load balancer keeps
// failing (unless reality.interval itself is longer).
inline constexpr std::chrono::milliseconds kLongestBackoff = std::chrono::minutes(5);

// How people call an app's load balancer in a message: "nginx", or "the
// load balancer" for operator scripts.
std::string load_balancer_name(std::string_view backend_name);

// Why the identity probe through `url` contradicts the load balancer
// routing all (or most) traffic to `routed`, or nothing when it does not.
std::optional<std::string> identity_disagreement(std::string_view lb, const std::string& url,
                                                 daemon::colour routed,
                                                 const checks::identity_result& seen);

// Why the routing the load balancer reports contradicts the recorded one.
std::string record_disagreement(std::string_view lb, const traffic::routing& recorded,
                                const traffic::routing& seen);

// What one look at an app found.
struct reality_look {
  std::optional<traffic::routing> routing;          // unset: the load balancer could not be read
  std::optional<checks::identity_result> identity;  // unset: not probed

  // The one colour that answered the identity probe, if any.
  std::optional<daemon::colour> identity_colour() const {
    if (!identity || !*identity) return std::nullopt;
    return (*identity)->colour;
  }
};

struct drift_verdict {
  enum class kind {
    agrees,   // reality agrees with the record: no drift
    drifted,  // it does not: `reason`
    unknown,  // too little was seen to tell (the load balancer could not be read)
  };
  kind verdict = kind::unknown;
  std::string reason;
};

// `recorded`: the routing bluegreend recorded, unset before it recorded any
// (then only a disagreement between load balancer and identity drifts).
drift_verdict judge_reality(std::string_view lb, const std::string& identity_url,
                            const std::optional<traffic::routing>& recorded,
                            const reality_look& look);

// Each of the app's load balancers as one look read it: `each` holds their
// readings in the configuration's order. Without readings (no backend),
// every load balancer shows `missing` as its error.
std::vector<load_balancer_seen> load_balancers_seen(const daemon::app_config& app,
                                                    const std::vector<traffic::outcome>& each,
                                                    const std::string& missing);

// The wait before the next look: `interval`, doubled for each look in a row
// whose load balancer could not be read, up to kLongestBackoff (or
// `interval` when that is longer).
std::chrono::milliseconds next_look_after(std::chrono::milliseconds interval, unsigned failures);
// The wait before an app's first look: the apps spread evenly over one
// interval by their position in the configuration, so that sixty apps do
// not all look at once.
std::chrono::milliseconds first_look_after(std::chrono::milliseconds interval, std::size_t index,
                                           std::size_t count);

// An app's health check of one colour: its smoke checks, or without any,
// the identity path answering that colour's identity (or "/" answering).
std::vector<daemon::check_config> health_checks(const daemon::app_config& app);

}  // namespace bluegreen::engine
