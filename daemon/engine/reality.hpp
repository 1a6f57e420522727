// engine::reality: what serves an app right now, as established from the
// load balancer (and the identity probe), and small helpers shared by the
// engine's files. Private to them.
#pragma once

#include "daemon/engine/engine.hpp"
#include "daemon/engine/rules.hpp"

namespace bluegreen::engine {

struct engine::reality {
  traffic::routing routing;  // what the load balancer routes to
  daemon::colour live;       // the colour with all (or most) of the traffic
  bool split = false;        // a weighted split (canary) is in place
};

// A new operation of `kind` on `app`, asked for by `who`.
storage::new_operation new_operation_for(std::string app, std::string kind, const actor& who);

}  // namespace bluegreen::engine
