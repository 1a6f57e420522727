#include "daemon/engine/reality_watcher.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/checks/identity_probe.hpp"
#include "daemon/checks/smoke_checks.hpp"
#include "daemon/duration.hpp"
#include "daemon/engine/app_state_cache.hpp"
#include "daemon/engine/flow_support.hpp"
#include "daemon/engine/operation_registry.hpp"
#include "daemon/engine/rules.hpp"
#include "daemon/engine/traffic_controller.hpp"
#include "daemon/engine/reality_rules.hpp"
#include "daemon/traffic/backend.hpp"
#include "daemon/utc_time.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::engine {

namespace asio = boost::asio;
using daemon::colour;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

struct reality_watcher::loop {
  explicit loop(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;  // the wait for the next look; cancelled to wake the loop
  bool stop = false;
  unsigned failures = 0;  // looks in a row whose load balancer could not be read
  bool failing = false;   // the log says the load balancer cannot be read
};

// A round waiting for one of the kConcurrentLooks slots.
struct reality_watcher::look_slot {
  explicit look_slot(asio::io_context& io) : timer(io, steady::time_point::max()) {}
  asio::steady_timer timer;  // cancelled when the slot is handed over, or at stop
  bool given = false;
};

reality_watcher::reality_watcher(asio::io_context& io, storage::database& db,
                                 app_state_cache& stored, traffic_controller& traffic,
                                 operation_registry& ops, config_source config,
                                 recovering_fn recovering)
    : io_(io),
      db_(db),
      stored_(stored),
      traffic_(traffic),
      ops_(ops),
      config_(std::move(config)),
      recovering_(std::move(recovering)) {}

reality_watcher::~reality_watcher() = default;

void reality_watcher::start(const std::string& app_name) {
  auto cfg = config_();
  if (stopping_ || cfg->reality.interval.count() == 0 || !cfg->find_app(app_name)) return;
  if (loops_.count(app_name) > 0 || recovering_(app_name)) return;
  auto me = std::make_shared<loop>(io_);
  loops_[app_name] = me;
  ops_.supervise(0, run(app_name, me));
}

void reality_watcher::start_all() {
  for (auto& [app, running] : loops_) running->timer.cancel();
  auto cfg = config_();
  for (const auto& app : cfg->apps) start(app.name);
}

void reality_watcher::stop() {
  stopping_ = true;
  for (auto& [app, running] : loops_) {
    running->stop = true;
    running->timer.cancel();
  }
  for (auto& slot : looks_waiting_) slot->timer.cancel();
  looks_waiting_.clear();
}

reality_seen reality_watcher::seen(std::string_view app) const {
  auto it = seen_.find(app);
  return it == seen_.end() ? reality_seen{} : it->second;
}

asio::awaitable<void> reality_watcher::run(std::string app_name, std::shared_ptr<loop> me) {
  auto started = steady::now();
  std::optional<steady::time_point> last;  // when the last look began
  while (!me->stop && !stopping_) {
    auto cfg = config_();
    const daemon::app_config* app = cfg->find_app(app_name);
    milliseconds interval = cfg->reality.interval;
    if (!app || interval.count() == 0) break;
    steady::time_point due =
        last
            ? *last + next_look_after(interval, me->failures)
            : started + first_look_after(interval, static_cast<std::size_t>(app - cfg->apps.data()),
                                         cfg->apps.size());
    if (steady::now() < due) {
      me->timer.expires_at(due);
      co_await me->timer.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;  // due, or woken: read the configuration and the clock again
    }
    last = steady::now();
    try {
      co_await look(cfg, app_name, me);
    } catch (const std::exception& e) {
      // One failed look (the database, say) does not end the loop.
      spdlog::error("{}: looking at reality failed: {}", app_name, e.what());
    }
  }
  auto it = loops_.find(app_name);
  if (it != loops_.end() && it->second == me) loops_.erase(it);
}

asio::awaitable<void> reality_watcher::look(std::shared_ptr<const daemon::config> cfg,
                                            std::string app_name, std::shared_ptr<loop> me) {
  const daemon::app_config* found = cfg->find_app(app_name);
  if (!found) co_return;
  const daemon::app_config& app = *found;
  // Never beside a traffic change of the app, and never making one wait:
  // the gate is only looked at, not taken.
  if (traffic_.gate().busy(app_name)) co_return;
  const std::uint64_t changes_before = traffic_.gate().changes(app_name);

  // At most kConcurrentLooks rounds at once, across all apps.
  if (looks_running_ >= kConcurrentLooks) {
    auto slot = std::make_shared<look_slot>(io_);
    looks_waiting_.push_back(slot);
    co_await slot->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!slot->given) co_return;  // stopping
  } else {
    ++looks_running_;
  }
  struct held_slot {
    std::size_t& running;
    std::deque<std::shared_ptr<look_slot>>& waiting;
    ~held_slot() {
      if (waiting.empty()) {
        --running;
        return;
      }
      auto next = waiting.front();
      waiting.pop_front();
      next->given = true;  // the slot passes on: `running` stays
      next->timer.cancel();
    }
  } slot{looks_running_, looks_waiting_};

  // 1. What the load balancer routes to.
  std::string lb = load_balancer_name(app.traffic.backend_name());
  reality_look look;
  std::vector<std::string> errors;
  std::optional<std::string> backend_error;
  bool load_balancers_disagree = false;
  std::string backend_output;  // for the daemon's log only
  std::vector<traffic::outcome> each_lb;
  if (auto backend = traffic_.backend_for(app)) {
    traffic::log_fn quiet;
    auto read = co_await backend->current_each(quiet);
    const traffic::outcome& current = read.combined;
    each_lb = std::move(read.each);
    if (current) {
      look.routing = current.value();
    } else {
      backend_error = current.error().message;
      load_balancers_disagree = current.error().code == traffic::kLoadBalancersDisagree;
      backend_output = output_for_log(current.error());
    }
  } else {
    errors.push_back("the " + std::string(app.traffic.backend_name()) +
                     " traffic backend is not available in this version");
  }
  if (me->stop || stopping_) co_return;  // the stop may have cut the backend's command short
  if (backend_error) {
    errors.push_back("cannot read what " + lb + " routes to: " + *backend_error);
    ++me->failures;
    if (!me->failing) {
      me->failing = true;
      spdlog::warn(
          "{}: reality: cannot read what {} routes to: {}{}; looking less often while it "
          "fails (at most every {})",
          app_name, lb, *backend_error, backend_output,
          daemon::format_duration(std::max(cfg->reality.interval, kLongestBackoff)));
    }
  } else if (look.routing) {
    if (me->failing)
      spdlog::info("{}: reality: {} can be read again after {} failed look(s)", app_name, lb,
                   me->failures);
    me->failing = false;
    me->failures = 0;
  }

  // 2. Which colour answers public_url (not during a split: both do).
  std::string identity_url = app.public_url + app.identity_path.value_or("");
  if (app.identity_path && (!look.routing || look.routing->single())) {
    std::optional<colour> expected;
    if (look.routing) expected = look.routing->single();
    look.identity = co_await checks::probe_identity(identity_url, app.blue.identity,
                                                    app.green.identity, expected);
    if (!*look.identity)
      errors.push_back(identity_url + " did not answer with either identity (" +
                       look.identity->error().message + ")");
  }

  // 3. Each colour's health, by the app's health check.
  std::optional<storage::app_record> before;
  if (const stored_app* stored = stored_.find(app_name)) before = stored->state;
  std::map<colour, std::string> health;
  std::vector<daemon::check_config> probes = health_checks(app);
  for (colour c : {colour::blue, colour::green}) {
    auto values = values_of(app, c, before ? state_of(*before, c) : storage::colour_record{});
    std::string url = app.colour_of(c).url;
    std::function<void(const std::string&)> quiet;
    auto checked = co_await checks::run_checks(url, probes, values, false, quiet);
    health[c] = checked ? "ok" : "failing";
  }
  std::string seen_at = daemon::utc_now();

  // A traffic change that began or happened meanwhile (or a reload) makes
  // this look stale: what the change recorded stays.
  if (me->stop || stopping_) co_return;
  if (traffic_.gate().busy(app_name) || traffic_.gate().changes(app_name) != changes_before || config_() != cfg) {
    spdlog::debug("{}: reality: a traffic change overlapped this look; it is not recorded",
                  app_name);
    co_return;
  }

  // 4. Record what changed, judged against the record of now.
  const stored_app* stored = stored_.find(app_name);
  if (!stored) co_return;
  storage::app_record now = stored->state;
  std::optional<traffic::routing> recorded;
  if (now.live) recorded = traffic::routing::decode(now.routing.value_or(*now.live + ":100"));
  drift_verdict verdict = judge_reality(lb, identity_url, recorded, look);
  if (load_balancers_disagree) {
    // Nobody can say what serves when the load balancers route apart.
    verdict.verdict = drift_verdict::kind::drifted;
    verdict.reason = *backend_error;
  }

  std::optional<std::string> observed_routing, observed_identity, observed_error;
  if (look.routing) observed_routing = look.routing->encode();
  if (auto answered = look.identity_colour()) observed_identity = std::string(to_string(*answered));
  for (const auto& e : errors) observed_error = (observed_error ? *observed_error + "; " : "") + e;

  bool observed_changed = observed_routing != now.observed_routing ||
                          observed_identity != now.observed_identity ||
                          observed_error != now.observed_error;
  bool drift_set = verdict.verdict == drift_verdict::kind::drifted &&
                   (!now.drifted || now.drift_reason != verdict.reason);
  bool drift_cleared = verdict.verdict == drift_verdict::kind::agrees && now.drifted;
  std::vector<colour> health_changed;
  for (colour c : {colour::blue, colour::green})
    if (state_of(now, c).health != health[c]) health_changed.push_back(c);

  // In memory only; the commit below tells the event stream of it too.
  bool load_balancers_changed = stored_.set_load_balancers(
      app_name, load_balancers_seen(app, each_lb, errors.empty() ? "" : errors.front()));

  if (observed_changed || drift_set || drift_cleared || !health_changed.empty() ||
      load_balancers_changed) {
    storage::app_state_repository states(db_);
    storage::transaction tx(db_);  // one commit for all that changed
    if (observed_changed)
      states.set_observed(app_name, observed_routing, observed_identity, observed_error);
    if (drift_set) states.set_drift(app_name, verdict.reason);
    if (drift_cleared) states.set_drift(app_name, std::nullopt);
    for (colour c : health_changed) states.set_health(app_name, to_string(c), health[c]);
    tx.commit();
  }
  if (drift_set) spdlog::warn("{}: drifted: {}", app_name, verdict.reason);
  if (drift_cleared)
    spdlog::info("{}: no longer drifted: {} routes to {} as recorded", app_name, lb,
                 look.routing ? look.routing->describe() : std::string("?"));

  reality_seen& seen = seen_[app_name];
  seen.seen_at = seen_at;
  seen.blue_health_checked_at = seen_at;
  seen.green_health_checked_at = seen_at;
  ++changes_;
}

}  // namespace bluegreen::engine
