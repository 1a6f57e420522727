// run_service runs the daemon process until SIGTERM or SIGINT: loads the
// configuration, opens the state database, serves the API on the
// io_context, reloads on SIGHUP and talks to systemd (READY, STATUS,
// STOPPING, watchdog). Returns the process exit code.
#pragma once

#include "daemon/cli.hpp"

namespace bluegreen::daemon {

int run_service(const command_line& cl);

}  // namespace bluegreen::daemon
