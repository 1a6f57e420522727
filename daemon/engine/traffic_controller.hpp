// traffic_controller is the engine's one way to an app's load balancer. It
// keeps each app configuration's traffic backend, establishes what serves an
// app now (the load balancer, the identity probe, the record, drift), runs
// the switch protocol (health re-check, durable intent, backend, confirm,
// record) and reconciles an app with its load balancer after a restart.
// Every change of an app's traffic goes through its traffic_gate: one at a
// time per app, whoever asked.
//
// Thread-safety: the io thread, like the database it writes; the backends
// send their blocking work to the SSH runner's workers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/engine/result.hpp"
#include "daemon/engine/traffic_gate.hpp"
#include "daemon/traffic/routing.hpp"

namespace boost::asio {
class io_context;
}
namespace bluegreen::storage {
class database;
}
namespace bluegreen::ssh {
class runner;
}
namespace bluegreen::traffic {
class backend;
}

namespace bluegreen::engine {

class operation_registry;
class operation_stats;

// Makes the traffic backend of an app. The default builds the one its
// configuration names; tests supply their own.
using backend_factory =
    std::function<std::shared_ptr<traffic::backend>(const daemon::app_config&, ssh::runner&)>;

// What serves an app right now, as established from its load balancer.
struct serving {
  traffic::routing routing;  // what the load balancer routes to
  daemon::colour live;       // the colour with all (or most) of the traffic
  bool split = false;        // a weighted split (canary) is in place
};

// What a health check of the colours a change gives traffic to found.
struct health_ahead {
  std::vector<daemon::colour> checked;    // in the order asked
  std::optional<daemon::colour> failing;  // the first that failed; not checked further
  std::string why;                        // its failure, for people
  // Its log lines not yet in the operation's log: a quick check's lines are
  // written in the commit of the switch's intent, not one commit each (see
  // check_ahead).
  std::vector<std::string> lines;
};

class traffic_controller {
 public:
  traffic_controller(boost::asio::io_context& io, storage::database& db, ssh::runner& runner,
                     operation_registry& ops, backend_factory make_backend = {});
  traffic_controller(const traffic_controller&) = delete;
  traffic_controller& operator=(const traffic_controller&) = delete;

  // The backend of this configuration of the app (null when its kind is not
  // available). Operations hold their own reference, so a reload never pulls
  // one from under them.
  std::shared_ptr<traffic::backend> backend_for(const daemon::app_config& app);
  // A new configuration: backends are made afresh when next asked for.
  void forget_backends() { backends_.clear(); }
  traffic_gate& gate() { return gate_; }
  // Switches (their routing applied, their time) are counted into `stats`.
  void count_into(operation_stats& stats) { stats_ = &stats; }

  // What serves the app now, from the load balancer and the identity probe,
  // judged against the record: a disagreement is drift (recorded, and
  // refused unless `force` accepts what the load balancer routes to).
  // Lines worth keeping go to operation `log_to`'s log. `answers_for_live`:
  // how many identity answers from the colour the load balancer routes to
  // settle it (checks::probe_identity); a switch, which confirms what it
  // did with 10 in a row, asks for 1 (3 when the app is drifted).
  boost::asio::awaitable<result<serving>> establish(const daemon::app_config& app, bool force,
                                                    std::optional<std::int64_t> log_to,
                                                    int answers_for_live = 3);
  // Checks the health of `colours` of the app now (each check once, its
  // lines for operation `id`'s log). A switch runs it beside establish(), so
  // that the two do not wait for each other. The lines of a check that
  // passes quickly are kept in the result for the intent's commit; a slow
  // check's lines go to the log as they come.
  boost::asio::awaitable<health_ahead> check_ahead(std::int64_t id, const daemon::app_config& app,
                                                   std::vector<daemon::colour> colours);
  // The app's load balancer does ahead what its next change needs (see
  // traffic::backend::prepare_route), beside the checks before a switch.
  boost::asio::awaitable<void> prepare_route(const daemon::app_config& app);
  // Writes the lines `seen` still keeps to operation `id`'s log.
  void log_lines(std::int64_t id, health_ahead& seen);
  // Moves the app's traffic from `from` to `to` for operation `id` (health
  // re-check of a colour that gets traffic when `recheck`, durable intent,
  // backend, confirmation through public_url, record). A re-check already
  // made for exactly those colours (`ahead`) is not made again. Returns why
  // it failed, or nothing on success.
  boost::asio::awaitable<std::optional<failure>> change(
      std::int64_t id, const daemon::app_config& app, traffic::routing from, traffic::routing to,
      bool recheck, std::optional<health_ahead> ahead = std::nullopt);
  // After a restart: records what the load balancer routes to, resolves the
  // switch intents a crash left and re-applies their routing. A failure
  // means the load balancer could not be read (the record stays).
  boost::asio::awaitable<std::optional<failure>> reconcile(const daemon::app_config& app);

 private:
  boost::asio::io_context& io_;
  storage::database& db_;
  ssh::runner& runner_;
  operation_registry& ops_;
  backend_factory make_backend_;
  traffic_gate gate_;
  operation_stats* stats_ = nullptr;
  // Keyed by the app's configuration object: an operation that started
  // before a reload keeps talking to the backend of its own configuration.
  std::map<const daemon::app_config*, std::shared_ptr<traffic::backend>> backends_;
};

}  // namespace bluegreen::engine
