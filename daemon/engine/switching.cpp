// engine::switch_traffic, rollback and the watch: moving live traffic
// between the colours through the app's traffic backend.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/checks/http_probe.hpp"
#include "daemon/checks/smoke_checks.hpp"
#include "daemon/duration.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/engine/flow_support.hpp"
#include "daemon/engine/rules.hpp"
#include "daemon/engine/reality_rules.hpp"
#include "daemon/traffic/backend.hpp"
#include "storage/switch_intent_repository.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::engine {

namespace asio = boost::asio;
using daemon::colour;

asio::awaitable<result<storage::operation_record>> engine::switch_traffic(std::string app_name,
                                                                          switch_request req,
                                                                          actor who) {
  std::int64_t id = 0;
  auto work = accept_switch(std::move(app_name), std::move(req), std::move(who), id);
  co_return co_await guarded(id, std::move(work));
}

asio::awaitable<result<storage::operation_record>> engine::accept_switch(std::string app_name,
                                                                         switch_request req,
                                                                         actor who,
                                                                         std::int64_t& id) {
  auto cfg = cfg_;
  const daemon::app_config* app = cfg->find_app(app_name);
  if (!app) co_return unknown_app(app_name);
  auto backend = traffic_.backend_for(*app);
  if (req.weights && backend && !backend->supports_weights())
    co_return failure{failure::kind::unsupported, "weights_unsupported",
                      "the " + std::string(app->traffic.backend_name()) +
                          " backend cannot split traffic by weight; switch whole colours"};
  if (auto refused = refuse_while_recovering(app_name)) co_return *refused;
  auto op = new_operation_for(app_name, operation_kind::switch_traffic, who);
  if (req.to) op.colour = std::string(to_string(*req.to));
  auto begun = begin(*app, op, true);
  if (!begun) co_return begun.error();
  id = begun.value().id;

  auto now = co_await traffic_.establish(*app, req.force, id);
  traffic::routing from;
  if (now) {
    from = now.value().routing;
  } else if (req.force && now.error().code == "live_unknown") {
    event(id, "force: switching although the current routing is unknown");
    from = {};
  } else {
    finish(id, operation_state::failed, now.error());
    co_return now.error();
  }
  traffic::routing to = switch_target(from, req.to, req.weights);
  auto stored = storage::app_state_repository(db_).find(app_name);
  if (auto refused = refuse_switch(from, to, stored, req.force)) {
    finish(id, operation_state::failed, *refused);
    co_return *refused;
  }
  if (!req.to) storage::operation_repository(db_).set_colour(id, to_string(main_colour(to)));
  if (auto w = watches_.find(app_name); w != watches_.end()) w->second->cancel();
  // Read before the hand-over: from here on the operation is the
  // supervisor's, and a failure here must not end it a second time.
  auto accepted = *operation(id);
  supervise(id, run_switch(cfg, id, app_name, from, to, true));
  co_return accepted;
}

asio::awaitable<result<storage::operation_record>> engine::rollback(std::string app_name,
                                                                    actor who) {
  std::int64_t id = 0;
  auto work = accept_rollback(std::move(app_name), std::move(who), id);
  co_return co_await guarded(id, std::move(work));
}

asio::awaitable<result<storage::operation_record>> engine::accept_rollback(std::string app_name,
                                                                           actor who,
                                                                           std::int64_t& id) {
  auto cfg = cfg_;
  const daemon::app_config* app = cfg->find_app(app_name);
  if (!app) co_return unknown_app(app_name);
  if (auto refused = refuse_while_recovering(app_name)) co_return *refused;
  // The fastest path: what was recorded at the last switch, no SSH, no probe
  // beyond the target's health; the backend confirms the result.
  auto stored = storage::app_state_repository(db_).find(app_name);
  auto plan = plan_rollback(app_name, stored);
  if (!plan) co_return plan.error();
  traffic::routing from = plan->from;
  colour target = plan->to;
  auto op = new_operation_for(app_name, operation_kind::rollback, who);
  op.colour = std::string(to_string(target));
  auto begun = begin(*app, op, false);
  if (!begun) co_return begun.error();
  id = begun.value().id;
  if (auto w = watches_.find(app_name); w != watches_.end()) w->second->cancel();
  // Read before the hand-over: from here on the operation is the
  // supervisor's, and a failure here must not end it a second time.
  auto accepted = *operation(id);
  supervise(id, run_switch(cfg, id, app_name, from, traffic::routing::all_to(target), true));
  co_return accepted;
}

asio::awaitable<void> engine::run_switch(std::shared_ptr<const daemon::config> cfg, std::int64_t id,
                                         std::string app_name, traffic::routing from,
                                         traffic::routing to, bool recheck) {
  const daemon::app_config& app = *cfg->find_app(app_name);
  auto error = co_await traffic_.change(id, app, from, to, recheck);
  if (error) {
    finish(id, operation_state::failed, *error);
    co_return;
  }
  {
    // The switch and the deployment that waited for it end in one commit.
    storage::transaction tx(db_);
    if (auto c = to.single()) {
      for (const auto& waiting : storage::operation_repository(db_).unfinished()) {
        if (waiting.app == app_name && waiting.kind == operation_kind::deploy &&
            waiting.state == operation_state::ready &&
            waiting.colour == std::string(to_string(*c))) {
          event(waiting.id, "switched to by operation #" + std::to_string(id));
          finish(waiting.id, operation_state::succeeded);
        }
      }
    }
    finish(id, operation_state::succeeded);
    tx.commit();
  }
  if (to.single()) start_watch(cfg, id, app_name, from, to);
}


void engine::start_watch(std::shared_ptr<const daemon::config> cfg, std::int64_t id,
                         std::string app_name, traffic::routing from, traffic::routing to) {
  const daemon::app_config* app = cfg->find_app(app_name);
  if (stopping_ || !app || app->promote.watch.count() == 0 || !to.single() || from.weights.empty())
    return;
  auto stop = ssh::make_cancel_handle();
  if (auto w = watches_.find(app_name); w != watches_.end()) w->second->cancel();
  watches_[app_name] = stop;
  // Supervised under the switch it watches: a failure in the watch is
  // logged (that operation has already ended).
  supervise(id, watch(cfg, id, app_name, from, to, stop));
}

asio::awaitable<void> engine::watch(std::shared_ptr<const daemon::config> cfg, std::int64_t id,
                                    std::string app_name, traffic::routing from,
                                    traffic::routing to, ssh::cancel_handle stop) {
  const daemon::app_config& app = *cfg->find_app(app_name);
  colour c = *to.single();
  auto stored = storage::app_state_repository(db_).find(app_name);
  auto values = values_of(app, c, stored ? state_of(*stored, c) : storage::colour_record{});
  std::vector<daemon::check_config> probes = health_checks(app);
  event(id, "watching " + app.public_url + " for " + daemon::format_duration(app.promote.watch));
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
      event(id, "watch: " + last + " (" + std::to_string(failures) + "/" +
                    std::to_string(app.promote.failure_threshold) + ")");
    }
    if (failures >= app.promote.failure_threshold) {
      std::string reason = "watch saw " + std::to_string(failures) +
                           " failed probes after the switch (" + last + ")";
      event(id, "watch: " + std::string(to_string(c)) + " failed " + std::to_string(failures) +
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
    event(id, "watch ended without switching back: the app stayed busy; " +
                  std::string(to_string(c)) + " still fails (" + last + ")");
    spdlog::warn("{}: the watch ended without switching back: the app stayed busy", app_name);
  }
  if (!stop->cancelled() && failures < app.promote.failure_threshold)
    event(id, "watch ended: " + std::string(to_string(c)) + " stayed healthy");
}

bool engine::switch_back(std::shared_ptr<const daemon::config> cfg, std::int64_t watched,
                         std::string app_name, traffic::routing from, traffic::routing to,
                         std::string reason, bool& busy_said) {
  const daemon::app_config& app = *cfg->find_app(app_name);
  auto op = new_operation_for(app_name, operation_kind::rollback, actor{"watch", "system"});
  op.colour = std::string(to_string(main_colour(from)));
  op.detail = "after " + reason + " (operation #" + std::to_string(watched) + ")";
  // Taking the app's lock is what keeps the switch back from overlapping
  // any other operation of the app.
  auto begun = begin(app, op, false);
  if (!begun) {
    if (!busy_said) {
      event(watched, "watch: cannot switch back yet: " + begun.error().message);
      spdlog::warn("{}: the watch cannot switch back yet: {}", app_name, begun.error().message);
      busy_said = true;
    }
    return false;
  }
  std::int64_t id = begun.value().id;
  supervise(id, run_switch_back(cfg, id, watched, app_name, from, to, reason));
  return true;
}

asio::awaitable<void> engine::run_switch_back(std::shared_ptr<const daemon::config> cfg,
                                              std::int64_t id, std::int64_t watched,
                                              std::string app_name, traffic::routing from,
                                              traffic::routing to, std::string reason) {
  colour failed = *to.single();
  const daemon::app_config& app = *cfg->find_app(app_name);
  event(id, "the watch of operation #" + std::to_string(watched) + " gave up on " +
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
  set_state(watched, error ? operation_state::failed : operation_state::rolled_back,
            operation_failure(error ? "switch_back_failed" : "watch_unhealthy", watched_error));
  record({"watch", "system"}, "watch.rollback", app_name, reason, id);
  if (error)
    finish(id, operation_state::failed, *error);
  else
    finish(id, operation_state::succeeded);
  tx.commit();
  spdlog::warn("{}: {}", app_name, watched_error);
  notify_log(watched);
}

}  // namespace bluegreen::engine
