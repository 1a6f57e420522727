// engine::recover: after a crash or a stop, nothing is left half-done and
// the recorded live colour equals what the load balancers route to. The
// database part runs before the server listens; the load balancers are
// asked in the background, so a slow one never delays the start.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <deque>

#include "daemon/engine/engine.hpp"
#include "daemon/engine/flow_support.hpp"
#include "daemon/engine/rules.hpp"
#include "daemon/traffic/backend.hpp"
#include "storage/switch_intent_repository.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::engine {


namespace {

// Apps reconciled at once: enough that one slow load balancer does not hold
// up the others, few enough not to flood a load balancer that several apps
// share (the traffic workers bound the commands further).
constexpr size_t kConcurrentRecoveries = 8;

}  // namespace

struct engine::recovery_queue {
  std::deque<std::string> apps;  // waiting for a worker
  size_t total = 0;
  size_t workers = 0;  // still running
  size_t reconciled = 0;
  size_t unreadable = 0;  // load balancers that could not be read
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

boost::asio::awaitable<void> engine::stop_leftovers_after_restart(
    std::shared_ptr<const daemon::config> cfg, std::string app_name) {
  std::optional<std::int64_t> nowhere;
  std::string all_colours;
  auto left = co_await stop_leftovers(cfg, nowhere, app_name, all_colours);
  if (left)
    spdlog::warn("{}: {}; the next operation on that colour tries again before it runs", app_name,
                 *left);
}

void engine::recover() {
  storage::operation_repository ops(db_);
  {
    storage::transaction tx(db_);
    for (const auto& op : ops.unfinished()) {
      if (op.state == storage::operation_state::ready) continue;  // waits for a switch
      append(op.id, std::nullopt, "event", "bluegreend restarted while this operation ran");
      set_state(op.id, storage::operation_state::interrupted,
                operation_failure("interrupted", "bluegreend stopped while this operation was " +
                                                     std::string(to_string(op.state))));
      spdlog::warn("operation #{} ({} of {}) was interrupted by a restart", op.id,
                   to_string(op.kind), op.app);
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

  // Every app is marked before the server listens, so no request sees one
  // as recovered before it is.
  auto queue = std::make_shared<recovery_queue>();
  for (const auto& app : cfg_->apps) {
    if (!traffic_.backend_for(app)) continue;  // no load balancer to reconcile with
    queue->apps.push_back(app.name);
    recovering_.insert(app.name);
    ++recovery_changes_;
  }
  queue->total = queue->apps.size();
  // At least one worker, so that the end is logged even without apps.
  queue->workers = std::max<size_t>(1, std::min(kConcurrentRecoveries, queue->apps.size()));
  for (size_t i = 0; i < queue->workers; ++i) supervise(0, recovery_worker(queue));
  // Apps without a load balancer to reconcile are looked at from now on;
  // the others once recovered.
  reality_.start_all();
}

boost::asio::awaitable<void> engine::recovery_worker(std::shared_ptr<recovery_queue> queue) {
  while (!queue->apps.empty() && !stopping_) {
    std::string app_name = std::move(queue->apps.front());
    queue->apps.pop_front();
    bool read = false;
    try {
      read = co_await recover_app(app_name);
    } catch (const std::exception& e) {
      // Staying "recovering" would refuse the app's operations until the
      // next restart; each operation establishes the live colour anyway.
      spdlog::error("{}: recovery failed: {}; the recorded state stays", app_name, e.what());
    }
    ++(read ? queue->reconciled : queue->unreadable);
    recovering_.erase(app_name);
    ++recovery_changes_;
    reality_.start(app_name);
  }
  if (--queue->workers > 0) co_return;
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - queue->started);
  if (stopping_ && queue->reconciled < queue->total) {
    spdlog::info(
        "recovery stopped: bluegreend is stopping; {} of {} app(s) are reconciled at "
        "the next start",
        queue->total - queue->reconciled, queue->total);
    co_return;
  }
  spdlog::info("recovery finished: {} app(s) reconciled with their load balancers in {} ms{}",
               queue->reconciled, took.count(),
               queue->unreadable > 0 ? ", " + std::to_string(queue->unreadable) +
                                           " could not be read (see the warnings above)"
                                     : std::string());
}

boost::asio::awaitable<bool> engine::recover_app(std::string app_name) {
  // The configuration of now: a reload while the app waited for its turn
  // may have changed its load balancer, or removed it.
  auto cfg = cfg_;
  const daemon::app_config* found = cfg->find_app(app_name);
  if (!found) co_return true;
  auto failed = co_await traffic_.reconcile(*found);
  if (failed) {
    if (stopping_) co_return false;  // abandoned by the stop, not a fault of the load balancer
    spdlog::warn("{}: cannot read what the load balancer routes to: {}{}", app_name,
                 failed->message, output_for_log(*failed));
    co_return false;
  }
  spdlog::debug("{}: recovered", app_name);
  co_return true;
}

std::optional<failure> engine::refuse_while_recovering(std::string_view app) const {
  if (!recovering(app)) return std::nullopt;
  std::string name(app);
  return failure{failure::kind::unavailable, "recovering",
                 "app \"" + name +
                     "\" is still being reconciled with its load balancer after "
                     "bluegreend started; try again in a few seconds (GET /api/v1/apps/" +
                     name + " shows \"recovering\": false once it is done)"};
}

}  // namespace bluegreen::engine
