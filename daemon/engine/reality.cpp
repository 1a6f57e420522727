#include "daemon/engine/reality.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/checks/http_probe.hpp"
#include "daemon/traffic/backend.hpp"

namespace bluegreen::engine {

using daemon::colour;

storage::new_operation new_operation_for(std::string app, std::string kind, const actor& who) {
  storage::new_operation op;
  op.app = std::move(app);
  op.kind = std::move(kind);
  op.actor = who.name;
  op.channel = who.channel;
  return op;
}

boost::asio::awaitable<result<engine::reality>> engine::establish(
    std::shared_ptr<const daemon::config> cfg, const daemon::app_config& app, bool force,
    std::optional<std::int64_t> log_to) {
  auto log = [this, log_to](const std::string& line) {
    if (log_to) event(*log_to, line);
  };
  auto backend = backend_for(app);
  if (!backend) {
    co_return failure{failure::kind::unsupported, "backend_unavailable",
                      "the " + std::string(app.traffic.backend_name()) +
                          " traffic backend is not available in this version"};
  }
  traffic::log_fn log_fn = log;
  auto current = co_await backend->current(log_fn);
  if (!current) {
    const auto& why = current.error();
    if (log_to && !why.detail.empty()) event(*log_to, "load balancer output: " + why.detail);
    co_return failure{failure::kind::conflict, "live_unknown",
                      "cannot tell which colour serves " + app.name + ": " + why.message +
                          ". Fix the load balancer, or route it with a switch and \"force\": true",
                      why.detail};
  }
  reality now;
  now.routing = current.value();
  now.split = !now.routing.single();
  now.live = now.routing.single().value_or(main_colour(now.routing));

  std::vector<std::string> disagreements;
  if (app.identity_path && !now.split) {
    // A load balancer that was just reloaded may answer from old and new
    // workers for a moment: three answers for the routed colour settle it,
    // three for the other colour are a disagreement.
    std::string url = app.public_url + *app.identity_path;
    checks::probe_result probe;
    boost::asio::steady_timer pause(io_);
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    int agree = 0, differ = 0;
    bool unanswered = false;
    std::vector<checks::probe_result> batch;
    while (agree < 3 && differ < 3 && std::chrono::steady_clock::now() < give_up) {
      // Three probes at once, on their own connections: the common case
      // (all three agree) costs one round trip.
      if (batch.empty()) {
        int count = 3 - agree;
        std::chrono::milliseconds timeout = std::chrono::seconds(5);
        batch = co_await checks::http_get_all(url, count, timeout);
      }
      probe = std::move(batch.back());
      batch.pop_back();
      std::optional<colour> answer;
      for (colour c : {colour::blue, colour::green})
        if (probe.answered && probe.status == 200 &&
            checks::answers_identity(probe.body, app.colour_of(c).identity))
          answer = c;
      if (!answer) {
        unanswered = true;
        break;
      }
      if (*answer == now.live) {
        ++agree;
      } else {
        ++differ;
        if (batch.empty()) {
          pause.expires_after(std::chrono::milliseconds(10));
          co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
      }
    }
    if (unanswered) {
      disagreements.push_back(
          url + " did not answer with either identity (" +
          (probe.answered ? "HTTP " + std::to_string(probe.status) : probe.error) + ")");
    } else if (differ >= 3) {
      disagreements.push_back("the load balancer routes to " + std::string(to_string(now.live)) +
                              " but " + url + " is answered by " +
                              std::string(to_string(daemon::other(now.live))));
    } else if (agree < 3) {
      disagreements.push_back(url + " answers alternately with both colours' identities");
    }
  }
  storage::app_state_repository states(db_);
  auto stored = states.find(app.name);
  // The load balancer and the identity probe disagreeing means nobody knows
  // what serves: even "force" does not deploy into that.
  if (!disagreements.empty()) {
    std::string reason;
    for (const auto& d : disagreements) reason += (reason.empty() ? "" : "; ") + d;
    states.set_drift(app.name, reason);
    co_return failure{failure::kind::conflict, "drifted",
                      "the live colour of " + app.name + " is in doubt: " + reason +
                          ". Make the load balancer and the app agree (e.g. reload nginx), "
                          "then try again"};
  }
  if (stored && stored->live) {
    std::string recorded = stored->routing.value_or(*stored->live + ":100");
    if (recorded != now.routing.encode()) {
      auto decoded = traffic::routing::decode(recorded);
      std::string reason = "bluegreend recorded " + (decoded ? decoded->describe() : recorded) +
                           " but the load balancer routes to " + now.routing.describe() +
                           " (changed outside bluegreend?)";
      if (!force) {
        states.set_drift(app.name, reason);
        co_return failure{failure::kind::conflict, "drifted",
                          "the live colour of " + app.name + " is in doubt: " + reason +
                              ". Check by hand, then repeat with \"force\": true to accept what "
                              "the load balancer routes to"};
      }
      log("force: accepting what the load balancer routes to (" + now.routing.describe() +
          ") although " + reason);
    }
  }
  if (!stored || !stored->live || stored->drifted || force ||
      stored->routing.value_or("") != now.routing.encode())
    states.set_routing(app.name, to_string(now.live), now.routing.encode());
  if (stored && stored->drifted) states.set_drift(app.name, std::nullopt);
  (void)cfg;
  co_return now;
}

}  // namespace bluegreen::engine
