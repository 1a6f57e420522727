// The engine's pure rules: which routing a switch asks for, what a rollback
// returns to, and which colours a switch may route to. Decisions only, from
// values the engine has already read; no I/O, so they are unit-tested without
// SSH, nginx or sockets.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "daemon/colour.hpp"
#include "daemon/engine/result.hpp"
#include "daemon/traffic/routing.hpp"
#include "storage/app_state_repository.hpp"

namespace bluegreen::engine {

// The colour with most of the traffic (blue on a tie).
daemon::colour main_colour(const traffic::routing& r);

// The routing a switch moves to: the weights asked for, or everything to the
// colour asked for, or else to the other colour than the one that has all
// (or most) of the traffic now; blue when nothing is routed yet.
traffic::routing switch_target(const traffic::routing& from, std::optional<daemon::colour> to,
                               const std::optional<traffic::routing>& weights);

// Why a switch from `from` to `to` must not go ahead, or nothing: it changes
// nothing, or it routes to a colour whose release never passed its smoke
// checks (unless that colour serves now, was live before the last switch, or
// the switch is forced). `stored` is what is recorded of the app, if anything.
std::optional<failure> refuse_switch(const traffic::routing& from, const traffic::routing& to,
                                     const std::optional<storage::app_record>& stored, bool force);

// Where a rollback goes, from what the last switch recorded.
struct rollback_plan {
  traffic::routing from;  // what is routed now, as recorded
  daemon::colour to;
};
// Back to the colour that was live before the last switch (which still runs
// the release it served then); a canary goes back to where it started.
result<rollback_plan> plan_rollback(std::string_view app,
                                    const std::optional<storage::app_record>& stored);

}  // namespace bluegreen::engine
