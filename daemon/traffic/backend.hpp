// backend is how bluegreend moves an app's traffic: it tells what the load
// balancer routes to now, changes it, and confirms its own change. One
// implementation per kind of load balancer (nginx, command, ...).
//
// Thread-safety: use from the io_context's thread; blocking work (commands,
// SSH) goes to the runner's workers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/result.hpp"
#include "daemon/traffic/routing.hpp"

namespace bluegreen::ssh {
class runner;
}

namespace bluegreen::traffic {

// What the load balancer routes to, or why it could not be read or changed.
using outcome = daemon::result<routing>;

// A backend's failure. `code` is one of backend_failed (a command or the
// load balancer failed), routing_unknown (what it routes to is neither
// colour), not_applied (it routes elsewhere than asked) and
// weights_unsupported. `message` is safe for any client; `detail` (a
// command's stderr) is for the logs only.
inline daemon::failure backend_failure(std::string code, std::string message,
                                       std::string detail = {}) {
  return daemon::failure{daemon::failure::kind::internal, std::move(code), std::move(message),
                         std::move(detail)};
}

// The failure code of reading several load balancers that route apart
// (fanout_backend): nobody can tell which colour serves.
inline constexpr std::string_view kLoadBalancersDisagree = "load_balancers_disagree";

// Receives lines worth keeping in the operation's log.
using log_fn = std::function<void(const std::string&)>;

// What current() answers, and the reading of each load balancer it was
// made of, in the order of the app's load balancers.
struct readings {
  outcome combined;
  std::vector<outcome> each;
};

class backend {
 public:
  virtual ~backend() = default;
  virtual bool supports_weights() const = 0;
  // What traffic goes to now, read from the load balancer itself.
  virtual boost::asio::awaitable<outcome> current(log_fn log) = 0;
  // current(), with each load balancer's own answer beside it, from the
  // same reads (the reality loop shows each). A backend of one load
  // balancer answers its current() as the only one.
  virtual boost::asio::awaitable<readings> current_each(log_fn log);
  // Routes as `target` says and reads back what the load balancer does now.
  virtual boost::asio::awaitable<outcome> route(routing target, log_fn log) = 0;
  // Does ahead what the next route() needs whatever its target, so that the
  // route itself is quicker (nginx on this machine starts the shell of its
  // test and reload). A route() without it works the same. By default,
  // nothing.
  virtual boost::asio::awaitable<void> prepare_route();
};

std::unique_ptr<backend> make_backend(const daemon::app_config& app, ssh::runner& runner);

}  // namespace bluegreen::traffic
