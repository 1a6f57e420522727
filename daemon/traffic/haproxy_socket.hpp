// haproxy_exchange sends one line of commands to HAProxy's admin socket (the
// runtime API, non-interactive: one line per connection, `;` between
// commands) and returns HAProxy's whole reply. The socket is a unix socket
// path or host:port.
//
// Thread-safety: blocking; call on a worker thread, never on the io_context.
#pragma once

#include <chrono>
#include <string>

#include "daemon/result.hpp"

namespace bluegreen::traffic {

daemon::result<std::string> haproxy_exchange(const std::string& socket, const std::string& line,
                                             std::chrono::milliseconds timeout);

}  // namespace bluegreen::traffic
