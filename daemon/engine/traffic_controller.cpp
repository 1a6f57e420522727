#include "daemon/engine/traffic_controller.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/checks/http_probe.hpp"
#include "daemon/checks/identity_probe.hpp"
#include "daemon/checks/smoke_checks.hpp"
#include "daemon/engine/flow_support.hpp"
#include "daemon/engine/operation_registry.hpp"
#include "daemon/engine/operation_stats.hpp"
#include "daemon/engine/reality_rules.hpp"
#include "daemon/engine/rules.hpp"
#include "daemon/traffic/backend.hpp"
#include "storage/app_state_repository.hpp"
#include "storage/switch_intent_repository.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::engine {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;
using daemon::colour;

namespace {

// What asking public_url for one colour's identity found.
struct confirmation {
  bool confirmed = false;
  bool waited = false;  // some answer was not the identity
  std::string seen;     // the last answer that was not (else the last one), for people
};

// Asks `url` until kInARow answers in a row are `identity`, for at most
// `within`. nginx and others change over gracefully: for up to ~100 ms after
// a reload the old workers may still take new connections, so one right
// answer proves nothing; several in a row, 10 ms apart, do.
asio::awaitable<confirmation> confirm_answered_by(asio::io_context& io, const std::string& url,
                                                  const std::string& identity,
                                                  std::chrono::seconds within) {
  constexpr int kInARow = 10;
  confirmation out;
  asio::steady_timer timer(io);
  int in_a_row = 0;
  auto deadline = std::chrono::steady_clock::now() + within;
  while (in_a_row < kInARow && std::chrono::steady_clock::now() < deadline) {
    auto probe = co_await checks::http_get(url, std::chrono::seconds(2));
    bool right = probe && probe->status == 200 && checks::answers_identity(probe->body, identity);
    in_a_row = right ? in_a_row + 1 : 0;
    // The last wrong answer says why it was not confirmed; with none (right
    // answers too slow for the deadline), the last answer does.
    if (!right || !out.waited)
      out.seen =
          probe ? "HTTP " + std::to_string(probe->status) + " \"" + probe->body.substr(0, 60) + "\""
                : probe.error().message;
    if (!right) out.waited = true;
    if (in_a_row < kInARow) {
      timer.expires_after(std::chrono::milliseconds(right ? 10 : 20));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  out.confirmed = in_a_row >= kInARow;
  co_return out;
}

}  // namespace

traffic_controller::traffic_controller(asio::io_context& io, storage::database& db,
                                       ssh::runner& runner, operation_registry& ops,
                                       backend_factory make_backend)
    : io_(io),
      db_(db),
      runner_(runner),
      ops_(ops),
      make_backend_(std::move(make_backend)),
      gate_(io) {
  if (!make_backend_) {
    make_backend_ = [](const daemon::app_config& app, ssh::runner& r) {
      return std::shared_ptr<traffic::backend>(traffic::make_backend(app, r));
    };
  }
}

std::shared_ptr<traffic::backend> traffic_controller::backend_for(const daemon::app_config& app) {
  auto it = backends_.find(&app);
  if (it != backends_.end()) return it->second;
  std::shared_ptr<traffic::backend> made = make_backend_(app, runner_);
  backends_[&app] = made;
  return made;
}

asio::awaitable<result<serving>> traffic_controller::establish(const daemon::app_config& app,
                                                               bool force,
                                                               std::optional<std::int64_t> log_to,
                                                               int answers_for_live) {
  auto log = [this, log_to](const std::string& line) {
    if (log_to) ops_.event(*log_to, line);
  };
  auto backend = backend_for(app);
  if (!backend) {
    co_return failure{failure::kind::unsupported, "backend_unavailable",
                      "the " + std::string(app.traffic.backend_name()) +
                          " traffic backend is not available in this version"};
  }
  traffic::log_fn log_fn = log;
  // The identity probe goes out beside the read of the load balancer,
  // expecting the colour recorded: when the load balancer routes to that
  // colour (nearly always), neither waits for the other.
  std::optional<colour> recorded_live;
  if (auto before = storage::app_state_repository(db_).find(app.name);
      app.identity_path && before && before->live) {
    auto recorded = traffic::routing::decode(before->routing.value_or(*before->live + ":100"));
    if (recorded) recorded_live = recorded->single();
  }
  std::optional<traffic::outcome> read;
  std::optional<checks::identity_result> probed;
  if (recorded_live) {
    std::string url = app.public_url + *app.identity_path;
    auto reading = backend->current(log_fn);
    auto probing = checks::probe_identity(url, app.blue.identity, app.green.identity, recorded_live,
                                          answers_for_live);
    auto both = std::move(reading) && std::move(probing);
    auto seen_both = co_await std::move(both);
    read.emplace(std::move(std::get<0>(seen_both)));
    probed.emplace(std::move(std::get<1>(seen_both)));
  } else {
    auto reading = co_await backend->current(log_fn);
    read.emplace(std::move(reading));
  }
  traffic::outcome& current = *read;
  if (!current) {
    const auto& why = current.error();
    if (log_to && !why.detail.empty()) ops_.event(*log_to, "load balancer output: " + why.detail);
    if (why.code == traffic::kLoadBalancersDisagree)
      storage::app_state_repository(db_).set_drift(app.name, why.message);
    co_return failure{failure::kind::conflict, "live_unknown",
                      "cannot tell which colour serves " + app.name + ": " + why.message +
                          ". Fix the load balancer, or route it with a switch and \"force\": true",
                      why.detail};
  }
  serving now;
  now.routing = current.value();
  now.split = !now.routing.single();
  now.live = now.routing.single().value_or(main_colour(now.routing));

  std::string lb = load_balancer_name(app.traffic.backend_name());
  storage::app_state_repository states(db_);
  if (app.identity_path && !now.split) {
    std::string url = app.public_url + *app.identity_path;
    std::optional<colour> expected = now.live;
    // Probed beside the read, for the colour it turned out to be; else now.
    if (!probed || recorded_live != expected) {
      auto seen_now = co_await checks::probe_identity(url, app.blue.identity, app.green.identity,
                                                      expected, answers_for_live);
      probed.emplace(std::move(seen_now));
    }
    const checks::identity_result& seen = *probed;
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
  co_return now;
}

asio::awaitable<void> traffic_controller::prepare_route(const daemon::app_config& app) {
  if (auto backend = backend_for(app)) co_await backend->prepare_route();
}

asio::awaitable<health_ahead> traffic_controller::check_ahead(std::int64_t id,
                                                             const daemon::app_config& app,
                                                             std::vector<colour> colours) {
  health_ahead seen;
  if (colours.empty()) co_return seen;
  auto stored = storage::app_state_repository(db_).find(app.name);
  // Each log line is a commit, and each commit waits for the disk: a check
  // that passes at once keeps its lines for the commit of the switch's
  // intent, which is then the one wait for the disk before the load
  // balancer changes. A check that takes longer (retries) shows its lines
  // as they come, so that whoever follows the operation sees why it waits.
  auto keep_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  std::function<void(const std::string&)> progress = [this, id, &seen,
                                                      keep_until](const std::string& line) {
    seen.lines.push_back(line);
    if (std::chrono::steady_clock::now() >= keep_until) log_lines(id, seen);
  };
  for (colour c : colours) {
    std::string url = app.colour_of(c).url;
    auto values = values_of(app, c, stored ? state_of(*stored, c) : storage::colour_record{});
    auto checked = co_await checks::run_checks(url, app.checks, values, false, progress);
    seen.checked.push_back(c);
    if (!checked) {
      seen.failing = c;
      seen.why = checked.error().message;
      break;
    }
  }
  co_return seen;
}

void traffic_controller::log_lines(std::int64_t id, health_ahead& seen) {
  for (const auto& line : seen.lines) ops_.event(id, line);
  seen.lines.clear();
}

asio::awaitable<std::optional<failure>> traffic_controller::change(
    std::int64_t id, const daemon::app_config& app, traffic::routing from, traffic::routing to,
    bool recheck, std::optional<health_ahead> ahead) {
  auto backend = backend_for(app);
  if (!backend)
    co_return operation_failure(
        "backend_unavailable",
        "the " + std::string(app.traffic.backend_name()) + " backend is not available");
  // One traffic change per app at a time, whoever asked for it.
  std::string gate_name = app.name;
  auto pass = co_await gate_.enter(gate_name);
  auto began = std::chrono::steady_clock::now();
  storage::app_state_repository states(db_);
  auto stored = states.find(app.name);

  // 1. The target must be healthy now, not only when it was verified. Its
  // health is written with the intent below (one commit), and only if it
  // changed.
  std::vector<colour> now_healthy;
  std::vector<std::string> checked_lines;  // the check's lines, for the intent's commit
  if (recheck && stored) {
    std::vector<colour> gaining;
    for (const auto& [c, share] : to.weights)
      if (!from.weights.count(c)) gaining.push_back(c);
    // The check made ahead counts when it checked these colours in this
    // order: all of them, or up to the first that failed.
    bool covers = ahead && ahead->checked.size() <= gaining.size() &&
                  (ahead->failing || ahead->checked.size() == gaining.size()) &&
                  std::equal(ahead->checked.begin(), ahead->checked.end(), gaining.begin());
    health_ahead seen;
    if (covers) {
      seen = std::move(*ahead);
    } else {
      if (ahead) log_lines(id, *ahead);
      // A rollback checks here: the load balancer prepares meanwhile.
      auto checking = check_ahead(id, app, gaining);
      auto preparing = backend->prepare_route();
      auto both = std::move(checking) && std::move(preparing);
      seen = co_await std::move(both);
    }
    checked_lines = std::move(seen.lines);
    if (seen.failing) {
      for (const auto& line : checked_lines) ops_.event(id, line);
      colour c = *seen.failing;
      states.set_health(app.name, to_string(c), "failing");
      co_return operation_failure("unhealthy", std::string(to_string(c)) +
                                                   " is not healthy: " + seen.why +
                                                   ". Traffic stays on " + from.describe());
    }
    for (colour c : seen.checked)
      if (state_of(*stored, c).health != std::optional<std::string>("ok")) now_healthy.push_back(c);
  } else if (ahead) {
    log_lines(id, *ahead);
  }

  // 2. A durable intent, so a crash from here on is reconciled at start-up.
  storage::switch_intent_repository intents(db_);
  auto from_colour = from.weights.empty()
                         ? std::nullopt
                         : std::optional<std::string>(to_string(main_colour(from)));
  std::int64_t intent = 0;
  {
    storage::transaction tx(db_);
    for (const auto& line : checked_lines) ops_.event(id, line);
    for (colour c : now_healthy) states.set_health(app.name, to_string(c), "ok");
    intent = intents.create(app.name, id, from_colour, to_string(main_colour(to)), to.encode());
    ops_.event(id, "switching " + app.name + " from " + from.describe() + " to " + to.describe());
    tx.commit();
  }

  // 3. The backend changes the routing and reads it back.
  traffic::log_fn log = [this, id](const std::string& line) { ops_.event(id, line); };
  auto routed = co_await backend->route(to, log);
  if (!routed) {
    intents.resolve(intent, "failed");
    if (!routed.error().detail.empty()) ops_.event(id, "load balancer output: " + routed.error().detail);
    traffic::log_fn quiet;
    auto now = co_await backend->current(quiet);
    if (now) states.set_routing(app.name, to_string(main_colour(*now)), now->encode());
    // The backend's own code (servers_not_up, action_errored, ...) says
    // more than backend_failed to a client that acts on it.
    std::string code = routed.error().code.empty() ? "backend_failed" : routed.error().code;
    std::string message = "the " + std::string(app.traffic.backend_name()) +
                          " backend failed: " + routed.error().message;
    // A load balancer put back (reloaded twice) may still answer from the
    // colour it was switched to for a moment: the switch has failed only
    // once public_url is answered by what the load balancer reads back
    // (whatever that is: a DigitalOcean action may have moved the IP).
    if (auto c = now ? now->single() : std::nullopt; c && app.identity_path) {
      std::string url = app.public_url + *app.identity_path;
      const std::string& identity = app.colour_of(*c).identity;
      auto within = std::chrono::seconds(5);
      auto seen = co_await confirm_answered_by(io_, url, identity, within);
      if (seen.confirmed && seen.waited)
        ops_.event(id, url + " is answered by " + identity + " again");
      if (!seen.confirmed) {
        std::string routes = load_balancer_name(app.traffic.backend_name()) + " routes to " +
                             std::string(to_string(*c)) + " but " + url + " answers " + seen.seen;
        states.set_drift(app.name, "after a failed switch, " + routes);
        message +=
            "; " + routes + " (the app is marked drifted: find out what serves, then switch again)";
      }
    }
    co_return operation_failure(code, message, routed.error().detail);
  }
  {
    storage::transaction tx(db_);
    states.set_routing(app.name, to_string(main_colour(*routed)), routed->encode());
    intents.resolve(intent, "applied");
    tx.commit();
  }
  if (stats_) {
    std::chrono::duration<double> since_epoch = std::chrono::system_clock::now().time_since_epoch();
    stats_->routed(app.name, since_epoch.count());
  }

  // 4. Confirm from the outside: public_url is answered by the new colour.
  if (auto c = to.single(); c && app.identity_path) {
    std::string url = app.public_url + *app.identity_path;
    const std::string& identity = app.colour_of(*c).identity;
    auto within = std::chrono::seconds(10);
    auto seen = co_await confirm_answered_by(io_, url, identity, within);
    if (!seen.confirmed) {
      states.set_drift(app.name, "after switching to " + std::string(to_string(*c)) + ", " + url +
                                     " still answers " + seen.seen);
      co_return operation_failure("not_confirmed", "the load balancer routes to " + to.describe() +
                                                       " but " + url + " answers " + seen.seen);
    }
    ops_.event(id, url + " is answered by " + identity);
  }
  storage::transaction tx(db_);
  states.set_drift(app.name, std::nullopt);
  // The colour that served until now keeps the release it served: it is
  // what a rollback returns to (until a deploy changes it).
  if (!from.weights.empty() && main_colour(from) != main_colour(to))
    states.set_previous_live(app.name, to_string(main_colour(from)));
  ops_.event(id, "live: " + routed->describe());
  tx.commit();
  if (stats_) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - began;
    stats_->switched(app.name, took.count());
  }
  co_return std::nullopt;
}

asio::awaitable<std::optional<failure>> traffic_controller::reconcile(
    const daemon::app_config& app) {
  auto backend = backend_for(app);
  if (!backend) co_return std::nullopt;  // no load balancer to reconcile with
  storage::app_state_repository states(db_);
  storage::switch_intent_repository intents(db_);
  traffic::log_fn quiet;
  auto now = co_await backend->current(quiet);
  bool applied_now = false;  // the routing recorded below was just applied
  if (!now && now.error().code == traffic::kLoadBalancersDisagree) {
    // A crash in the middle of a switch of several load balancers leaves
    // some changed and some not. The interrupted switch changes none: all
    // go back to what served before it.
    std::optional<traffic::routing> before;
    for (const auto& intent : intents.pending()) {
      if (intent.app != app.name) continue;
      if (intent.from_colour) {
        if (auto c = daemon::parse_colour(*intent.from_colour))
          before = traffic::routing::all_to(*c);
      } else if (auto target = traffic::routing::decode(intent.weights.value_or(""))) {
        before = *target;  // nothing served before (a forced switch): finish it
      }
    }
    if (before) {
      applied_now = true;
      spdlog::warn("{}: {} after an interrupted switch; routing all of them to {}", app.name,
                   now.error().message, before->describe());
      std::string gate_name = app.name;
      auto pass = co_await gate_.enter(gate_name);
      auto put_back = co_await backend->route(*before, quiet);
      if (!put_back) co_return put_back.error();
      now = std::move(put_back);
    }
  }
  if (!now) co_return now.error();
  auto stored = states.find(app.name);
  std::string routing = now.value().encode();
  if (!stored || !stored->routing || *stored->routing != routing) {
    if (stored && stored->live)
      spdlog::warn("{}: recorded {} but the load balancer routes to {}; recording what it does",
                   app.name, stored->routing.value_or(*stored->live), now.value().describe());
    states.set_routing(app.name, to_string(main_colour(now.value())), routing);
    if (stored && stored->live)
      ops_.record({"recovery", "system"}, "recovery.reconciled", app.name,
             "recorded " + stored->routing.value_or(*stored->live) + ", load balancer routes " +
                 routing);
  }
  bool interrupted_switch = false;
  for (const auto& intent : intents.pending()) {
    if (intent.app != app.name) continue;
    interrupted_switch = true;
    intents.resolve(intent.id, "reconciled");
    spdlog::info("{}: switch intent #{} ({} -> {}) reconciled: the load balancer routes to {}",
                 app.name, intent.id, intent.from_colour.value_or("?"), intent.to_colour,
                 now.value().describe());
  }
  // A switch that stopped half-way may have written the load balancer's
  // configuration without making it take effect: apply what it says, so
  // the recorded, the configured and the served routing are one.
  if (interrupted_switch && !applied_now) {
    std::string gate_name = app.name;
    auto pass = co_await gate_.enter(gate_name);
    auto applied = co_await backend->route(now.value(), quiet);
    if (applied)
      spdlog::info("{}: re-applied {} after an interrupted switch", app.name, now.value().describe());
    else
      spdlog::warn("{}: could not re-apply {}: {}{}", app.name, now.value().describe(),
                   applied.error().message, output_for_log(applied.error()));
  }
  co_return std::nullopt;
}

}  // namespace bluegreen::engine
