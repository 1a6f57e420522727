// switch_watch: after a switch to a whole colour, public_url is probed
// for promote.watch; too many failures in a row switch back as a rollback
// operation of the watch's own.
#include "daemon/engine/switch_watch.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/checks/smoke_checks.hpp"
#include "daemon/duration.hpp"
#include "daemon/engine/flow_support.hpp"
#include "daemon/engine/log_hub.hpp"
#include "daemon/engine/operation_registry.hpp"
#include "daemon/engine/reality_rules.hpp"
#include "daemon/engine/rules.hpp"
#include "daemon/engine/traffic_controller.hpp"
#include "storage/app_state_repository.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::engine {

namespace asio = boost::asio;
using daemon::colour;
using storage::operation_kind;
using storage::operation_state;

switch_watch::switch_watch(asio::io_context& io, storage::database& db, operation_registry& ops,
                           traffic_controller& traffic, log_hub& logs)
    : io_(io), db_(db), ops_(ops), traffic_(traffic), logs_(logs) {}

void switch_watch::cancel(std::string_view app) {
  if (auto w = watches_.find(app); w != watches_.end()) w->second->cancel();
}

void switch_watch::stop() {
  stopping_ = true;
  for (auto& [app, watching] : watches_) watching->cancel();
}

void switch_watch::start(std::shared_ptr<const daemon::config> cfg, std::int64_t id,
                         std::string app_name, traffic::routing from, traffic::routing to) {
  const daemon::app_config* app = cfg->find_app(app_name);
  if (stopping_ || !app || app->promote.watch.count() == 0 || !to.single() || from.weights.empty())
    return;
  auto stop = ssh::make_cancel_handle();
  if (auto w = watches_.find(app_name); w != watches_.end()) w->second->cancel();
  watches_[app_name] = stop;
  // Supervised under the switch it watches: a failure in the watch is
  // logged (that operation has already ended).
  ops_.supervise(id, watch(cfg, id, app_name, from, to, stop));
}

asio::awaitable<void> switch_watch::watch(std::shared_ptr<const daemon::config> cfg, std::int64_t id,
                                    std::string app_name, traffic::routing from,
                                    traffic::routing to, ssh::cancel_handle stop) {
  const daemon::app_config& app = *cfg->find_app(app_name);
  colour c = *to.single();
  auto stored = storage::app_state_repository(db_).find(app_name);
  auto values = values_of(app, c, stored ? state_of(*stored, c) : storage::colour_record{});
  std::vector<daemon::check_config> probes = health_checks(app);
  ops_.event(id, "watching " + app.public_url + " for " + daemon::format_duration(app.promote.watch));
  auto end = std::chrono::steady_clock::now() + app.promote.watch;
  asio::steady_timer timer(io_);
  unsigned failures = 0;
  std::string last;
  bool switched_back = false;
  bool busy_said = false;
  while (std::chrono::steady_clock::now() < end && !stop->cancelled()) {
    std::function<void(const std::string&)> quiet;
    auto checked = co_await checks::run_checks(app.public_url, probes, values, false, quiet);
    if (stop->cancelled()) break;
    if (checked) {
      failures = 0;
    } else {
      ++failures;
      last = checked.error().message;
      ops_.event(id, "watch: " + last + " (" + std::to_string(failures) + "/" +
                    std::to_string(app.promote.failure_threshold) + ")");
    }
    if (failures >= app.promote.failure_threshold) {
      std::string reason = "watch saw " + std::to_string(failures) +
                           " failed probes after the switch (" + last + ")";
      ops_.event(id, "watch: " + std::string(to_string(c)) + " failed " + std::to_string(failures) +
                    " probes in a row; switching back to " + from.describe());
      if (switch_back(cfg, id, app_name, from, to, reason, busy_said)) {
        switched_back = true;
        break;
      }
      // The app is busy (a task, or a request still being checked): keep
      // watching and try again next round. Only an operation that changes
      // traffic ends the watch.
    }
    timer.expires_after(app.promote.watch_interval);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (auto w = watches_.find(app_name); w != watches_.end() && w->second == stop) watches_.erase(w);
  if (!stop->cancelled() && !switched_back && failures >= app.promote.failure_threshold) {
    ops_.event(id, "watch ended without switching back: the app stayed busy; " +
                  std::string(to_string(c)) + " still fails (" + last + ")");
    spdlog::warn("{}: the watch ended without switching back: the app stayed busy", app_name);
  }
  if (!stop->cancelled() && failures < app.promote.failure_threshold)
    ops_.event(id, "watch ended: " + std::string(to_string(c)) + " stayed healthy");
}

bool switch_watch::switch_back(std::shared_ptr<const daemon::config> cfg, std::int64_t watched,
                         std::string app_name, traffic::routing from, traffic::routing to,
                         std::string reason, bool& busy_said) {
  const daemon::app_config& app = *cfg->find_app(app_name);
  auto op = new_operation_for(app_name, operation_kind::rollback, actor{"watch", "system"});
  op.colour = std::string(to_string(main_colour(from)));
  op.detail = "after " + reason + " (operation #" + std::to_string(watched) + ")";
  // Taking the app's lock is what keeps the switch back from overlapping
  // any other operation of the app.
  auto begun = ops_.begin(app.name, op, false);
  if (!begun) {
    if (!busy_said) {
      ops_.event(watched, "watch: cannot switch back yet: " + begun.error().message);
      spdlog::warn("{}: the watch cannot switch back yet: {}", app_name, begun.error().message);
      busy_said = true;
    }
    return false;
  }
  std::int64_t id = begun.value().id;
  ops_.supervise(id, run_switch_back(cfg, id, watched, app_name, from, to, reason));
  return true;
}

asio::awaitable<void> switch_watch::run_switch_back(std::shared_ptr<const daemon::config> cfg,
                                              std::int64_t id, std::int64_t watched,
                                              std::string app_name, traffic::routing from,
                                              traffic::routing to, std::string reason) {
  colour failed = *to.single();
  const daemon::app_config& app = *cfg->find_app(app_name);
  ops_.event(id, "the watch of operation #" + std::to_string(watched) + " gave up on " +
                std::string(to_string(failed)) + ": " + reason + "; switching back to " +
                from.describe());
  auto error = co_await traffic_.change(id, app, to, from, false);
  storage::app_state_repository states(db_);
  storage::transaction tx(db_);
  states.set_verified(app_name, to_string(failed), false);
  states.set_health(app_name, to_string(failed), "failing");
  states.set_previous_live(app_name, std::nullopt);
  std::string watched_error = error ? reason + "; switching back failed: " + error->message
                                    : reason + "; switched back to " + from.describe() +
                                          " by operation #" + std::to_string(id);
  ops_.set_state(watched, error ? operation_state::failed : operation_state::rolled_back,
            operation_failure(error ? "switch_back_failed" : "watch_unhealthy", watched_error));
  ops_.record({"watch", "system"}, "watch.rollback", app_name, reason, id);
  if (error)
    ops_.finish(id, operation_state::failed, *error);
  else
    ops_.finish(id, operation_state::succeeded);
  tx.commit();
  spdlog::warn("{}: {}", app_name, watched_error);
  logs_.notify(watched);
}

}  // namespace bluegreen::engine
