// engine::reality: what serves an app right now, as established from the
// load balancer (and the identity probe), and small helpers shared by the
// engine's files. Private to them.
#pragma once

#include "daemon/engine/engine.hpp"
#include "daemon/engine/rules.hpp"
#include "daemon/template.hpp"

namespace bluegreen::engine {

struct engine::reality {
  traffic::routing routing;  // what the load balancer routes to
  daemon::colour live;       // the colour with all (or most) of the traffic
  bool split = false;        // a weighted split (canary) is in place
};

// A new operation of `kind` on `app`, asked for by `who`.
storage::new_operation new_operation_for(std::string app, storage::operation_kind kind,
                                         const actor& who);

// The values of an app's templates (checks' expect_body) for colour `c`.
daemon::template_values values_of(const daemon::app_config& app, daemon::colour c,
                                  const storage::colour_record& state);
const storage::colour_record& state_of(const storage::app_record& app, daemon::colour c);

}  // namespace bluegreen::engine
