// engine::recover: after a crash or a stop, nothing is left half-done and
// the recorded live colour equals what the load balancers route to.
#include <spdlog/spdlog.h>

#include "daemon/engine/reality.hpp"
#include "daemon/traffic/backend.hpp"
#include "storage/switch_intent_repository.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::engine {

boost::asio::awaitable<void> engine::stop_leftovers_after_restart(
    std::shared_ptr<const daemon::config> cfg, std::string app_name) {
  std::optional<std::int64_t> nowhere;
  std::string all_colours;
  auto left = co_await stop_leftovers(cfg, nowhere, app_name, all_colours);
  if (left)
    spdlog::warn("{}: {}; the next operation on that colour tries again before it runs", app_name,
                 *left);
}

boost::asio::awaitable<void> engine::recover() {
  storage::operation_repository ops(db_);
  {
    storage::transaction tx(db_);
    for (const auto& op : ops.unfinished()) {
      if (op.state == "ready") continue;  // waits for a switch; nothing was running
      append(op.id, std::nullopt, "event", "bluegreend restarted while this operation ran");
      ops.set_state(op.id, "interrupted",
                    "bluegreend stopped while this operation was " + op.state);
      spdlog::warn("operation #{} ({} of {}) was interrupted by a restart", op.id, op.kind, op.app);
    }
    int released = storage::lock_repository(db_).release_all_operation_locks();
    if (released > 0)
      spdlog::info("released {} operation lock(s) left by the previous run", released);
    tx.commit();
  }
  // Remote commands of interrupted operations may still run: they are
  // stopped in the background, and an operation on their colour stops them
  // itself before it runs anything there.
  for (const auto& app : cfg_->apps) {
    if (ops.leftovers(app.name).empty()) continue;
    supervise(0, stop_leftovers_after_restart(cfg_, app.name));
  }

  auto cfg = cfg_;
  storage::app_state_repository states(db_);
  storage::switch_intent_repository intents(db_);
  auto pending = intents.pending();
  for (const auto& app : cfg->apps) {
    auto backend = backend_for(app);
    if (!backend) continue;
    traffic::log_fn quiet;
    auto now = co_await backend->current(quiet);
    auto stored = states.find(app.name);
    if (!now.ok) {
      spdlog::warn("{}: cannot read what the load balancer routes to: {}", app.name, now.error);
      continue;
    }
    std::string routing = now.now.encode();
    if (!stored || !stored->routing || *stored->routing != routing) {
      if (stored && stored->live)
        spdlog::warn("{}: recorded {} but the load balancer routes to {}; recording what it does",
                     app.name, stored->routing.value_or(*stored->live), now.now.describe());
      states.set_routing(app.name, to_string(main_colour(now.now)), routing);
      if (stored && stored->live)
        record({"recovery", "system"}, "recovery.reconciled", app.name,
               "recorded " + stored->routing.value_or(*stored->live) + ", load balancer routes " +
                   routing);
    }
    bool interrupted_switch = false;
    for (const auto& intent : pending) {
      if (intent.app != app.name) continue;
      interrupted_switch = true;
      intents.resolve(intent.id, "reconciled");
      spdlog::info("{}: switch intent #{} ({} -> {}) reconciled: the load balancer routes to {}",
                   app.name, intent.id, intent.from_colour.value_or("?"), intent.to_colour,
                   now.now.describe());
    }
    // A switch that stopped half-way may have written the load balancer's
    // configuration without making it take effect: apply what it says, so
    // the recorded, the configured and the served routing are one.
    if (interrupted_switch) {
      std::string gate_name = app.name;
      auto pass = co_await gate_.enter(gate_name);
      auto applied = co_await backend->route(now.now, quiet);
      if (applied.ok)
        spdlog::info("{}: re-applied {} after an interrupted switch", app.name, now.now.describe());
      else
        spdlog::warn("{}: could not re-apply {}: {}", app.name, now.now.describe(), applied.error);
    }
  }
}

}  // namespace bluegreen::engine
