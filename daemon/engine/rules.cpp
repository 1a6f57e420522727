#include "daemon/engine/rules.hpp"

#include <string>

namespace bluegreen::engine {

using daemon::colour;

colour main_colour(const traffic::routing& r) {
  int blue = r.weights.count(colour::blue) ? r.weights.at(colour::blue) : 0;
  int green = r.weights.count(colour::green) ? r.weights.at(colour::green) : 0;
  return green > blue ? colour::green : colour::blue;
}

traffic::routing switch_target(const traffic::routing& from, std::optional<colour> to,
                               const std::optional<traffic::routing>& weights) {
  if (weights) return *weights;
  if (to) return traffic::routing::all_to(*to);
  if (from.weights.empty()) return traffic::routing::all_to(colour::blue);
  colour now = from.single() ? *from.single() : main_colour(from);
  return traffic::routing::all_to(daemon::other(now));
}

std::optional<failure> refuse_switch(const traffic::routing& from, const traffic::routing& to,
                                     const std::optional<storage::app_record>& stored, bool force) {
  if (to == from)
    return failure{failure::kind::conflict, "already_live",
                   "traffic already goes to " + to.describe() + "; nothing to switch"};
  // "force" may route to a colour bluegreend has not deployed (setting up);
  // its health is still checked right before the switch.
  if (force || !stored) return std::nullopt;
  for (const auto& [c, share] : to.weights) {
    bool serves_now = from.weights.count(c) > 0;
    bool was_live = stored->previous_live == std::string(to_string(c));
    const auto& state = c == colour::blue ? stored->blue : stored->green;
    if (!serves_now && !was_live && !state.verified)
      return failure{failure::kind::conflict, "not_verified",
                     std::string(to_string(c)) +
                         " has no release that passed its smoke checks; deploy to it first"};
  }
  return std::nullopt;
}

result<rollback_plan> plan_rollback(std::string_view app,
                                    const std::optional<storage::app_record>& stored) {
  std::optional<colour> live =
      stored && stored->live ? daemon::parse_colour(*stored->live) : std::nullopt;
  if (!live)
    return failure{failure::kind::conflict, "live_unknown",
                   "bluegreend has not recorded which colour of " + std::string(app) +
                       " is live yet; nothing to roll back"};
  traffic::routing from = traffic::routing::all_to(*live);
  if (stored->routing)
    if (auto r = traffic::routing::decode(*stored->routing)) from = *r;
  std::optional<colour> target;
  if (stored->previous_live) target = daemon::parse_colour(*stored->previous_live);
  if (!from.single() && !target) target = main_colour(from);
  if (!target || from.single() == target)
    return failure{failure::kind::conflict, "nothing_to_roll_back",
                   "there is no previous release to roll back to: the colour that was live "
                   "before the last switch has been redeployed since (or nothing was switched "
                   "yet)"};
  return rollback_plan{from, *target};
}

}  // namespace bluegreen::engine
