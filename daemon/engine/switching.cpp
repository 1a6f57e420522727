// engine::switch_traffic and rollback: moving live traffic between the
// colours through the app's traffic controller; the switch_watch watches
// what a switch did.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
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
using namespace boost::asio::experimental::awaitable_operators;
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

  // The colours the switch will give traffic to, as far as the record
  // says: their health is checked while what serves is established, not
  // after it. If the load balancer says otherwise, the switch checks again.
  std::vector<colour> likely_gaining;
  if (const stored_app* known = stored_.find(app_name); known && known->state.live) {
    auto recorded =
        traffic::routing::decode(known->state.routing.value_or(*known->state.live + ":100"));
    if (recorded) {
      traffic::routing likely = switch_target(*recorded, req.to, req.weights);
      for (const auto& [c, share] : likely.weights)
        if (!recorded->weights.count(c)) likely_gaining.push_back(c);
    }
  }
  // The load balancer's own preparation (nginx here: the shell of its test
  // and reload) goes on beside both.
  // One identity answer from the colour the load balancer routes to
  // settles what serves (the other colour still needs 3, so an old worker
  // is not taken for drift): the switch's confirmation asks 10 in a row of
  // what it routed to. A drifted app asks 3, as the reality loop that may
  // have seen both colours answer did, before its drift is cleared.
  const stored_app* before = stored_.find(app_name);
  int answers_for_live = before && before->state.drifted ? 3 : 1;
  auto establishing = traffic_.establish(*app, req.force, id, answers_for_live);
  auto checking = traffic_.check_ahead(id, *app, likely_gaining);
  auto preparing = traffic_.prepare_route(*app);
  auto checking_and_preparing = std::move(checking) && std::move(preparing);
  auto all = std::move(establishing) && std::move(checking_and_preparing);
  auto established = co_await std::move(all);
  auto now = std::move(std::get<0>(established));
  auto ahead = std::move(std::get<1>(established));
  traffic::routing from;
  if (now) {
    from = now.value().routing;
  } else if (req.force && now.error().code == "live_unknown") {
    event(id, "force: switching although the current routing is unknown");
    from = {};
  } else {
    traffic_.log_lines(id, ahead);
    finish(id, operation_state::failed, now.error());
    co_return now.error();
  }
  traffic::routing to = switch_target(from, req.to, req.weights);
  auto stored = storage::app_state_repository(db_).find(app_name);
  if (auto refused = refuse_switch(from, to, stored, req.force)) {
    traffic_.log_lines(id, ahead);
    finish(id, operation_state::failed, *refused);
    co_return *refused;
  }
  {
    // A description of the switch that has changed nothing yet: synced to
    // disk by the commit of its intent (or of its end), a moment later,
    // rather than making the switch wait for the disk once more.
    storage::transaction tx(db_, storage::transaction::durability::relaxed);
    if (!req.to) storage::operation_repository(db_).set_colour(id, to_string(main_colour(to)));
    // What the switch does, for the event stream's readers (notifications).
    storage::operation_repository(db_).set_detail(
        id, "from " + from.describe() + " to " + to.describe());
    tx.commit();
  }
  watches_.cancel(app_name);
  // Read before the hand-over: from here on the operation is the
  // supervisor's, and a failure here must not end it a second time.
  auto accepted = *operation(id);
  supervise(id, run_switch(cfg, id, app_name, from, to, true, std::move(ahead)));
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
  op.detail = "from " + from.describe() + " to " + std::string(to_string(target));
  auto begun = begin(*app, op, false);
  if (!begun) co_return begun.error();
  id = begun.value().id;
  watches_.cancel(app_name);
  // Read before the hand-over: from here on the operation is the
  // supervisor's, and a failure here must not end it a second time.
  auto accepted = *operation(id);
  supervise(id, run_switch(cfg, id, app_name, from, traffic::routing::all_to(target), true));
  co_return accepted;
}

asio::awaitable<void> engine::run_switch(std::shared_ptr<const daemon::config> cfg, std::int64_t id,
                                         std::string app_name, traffic::routing from,
                                         traffic::routing to, bool recheck,
                                         std::optional<health_ahead> ahead) {
  const daemon::app_config& app = *cfg->find_app(app_name);
  auto error = co_await traffic_.change(id, app, from, to, recheck, std::move(ahead));
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
  if (to.single()) watches_.start(cfg, id, app_name, from, to);
}
}  // namespace bluegreen::engine
