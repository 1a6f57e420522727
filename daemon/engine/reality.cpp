#include "daemon/engine/reality.hpp"

#include "daemon/checks/identity_probe.hpp"
#include "daemon/engine/reality_rules.hpp"
#include "daemon/traffic/backend.hpp"

namespace bluegreen::engine {

using daemon::colour;

storage::new_operation new_operation_for(std::string app, storage::operation_kind kind,
                                         const actor& who) {
  storage::new_operation op;
  op.app = std::move(app);
  op.kind = kind;
  op.actor = who.name;
  op.channel = who.channel;
  return op;
}

daemon::template_values values_of(const daemon::app_config& app, colour c,
                                  const storage::colour_record& state) {
  return {{"app", app.name},
          {"colour", std::string(to_string(c))},
          {"identity", app.colour_of(c).identity},
          {"url", app.colour_of(c).url},
          {"ref", state.ref.value_or("")},
          {"sha", state.sha.value_or("")}};
}

const storage::colour_record& state_of(const storage::app_record& app, colour c) {
  return c == colour::blue ? app.blue : app.green;
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

  std::string lb = load_balancer_name(app.traffic.backend_name());
  storage::app_state_repository states(db_);
  if (app.identity_path && !now.split) {
    std::string url = app.public_url + *app.identity_path;
    std::optional<colour> expected = now.live;
    auto seen =
        co_await checks::probe_identity(url, app.blue.identity, app.green.identity, expected);
    // The load balancer and the identity probe disagreeing means nobody
    // knows what serves: even "force" does not deploy into that.
    if (auto reason = identity_disagreement(lb, url, now.live, seen)) {
      states.set_drift(app.name, *reason);
      co_return failure{failure::kind::conflict, "drifted",
                        "the live colour of " + app.name + " is in doubt: " + *reason +
                            ". Make the load balancer and the app agree (e.g. reload nginx), "
                            "then try again"};
    }
  }
  auto stored = states.find(app.name);
  if (stored && stored->live) {
    std::string recorded = stored->routing.value_or(*stored->live + ":100");
    if (recorded != now.routing.encode()) {
      auto decoded = traffic::routing::decode(recorded);
      std::string reason = decoded
                               ? record_disagreement(lb, *decoded, now.routing)
                               : "bluegreend recorded " + recorded + " but " + lb + " routes to " +
                                     now.routing.describe() + " (changed by hand?)";
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
