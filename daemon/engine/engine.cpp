#include "daemon/engine/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/checks/http_probe.hpp"
#include "daemon/engine/flow_support.hpp"
#include "daemon/one_line_text.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/traffic/backend.hpp"
#include "daemon/utc_time.hpp"
#include "storage/database.hpp"
#include "storage/switch_intent_repository.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::engine {

namespace asio = boost::asio;

namespace {

}  // namespace

engine::engine(asio::io_context& io, std::shared_ptr<const daemon::config> cfg,
               storage::database& db, ssh::runner& runner, backend_factory make_backend)
    : io_(io),
      cfg_(std::move(cfg)),
      db_(db),
      stored_(db),
      hub_(io, db, stored_),
      logs_(io, db),
      runner_(runner),
      ops_(io, db, hub_, logs_),
      traffic_(io, db, runner, ops_, std::move(make_backend)),
      reality_(
          io, db, stored_, traffic_, ops_, [this] { return cfg_; },
          [this](std::string_view app) { return recovering(app); }),
      watches_(io, db, ops_, traffic_, logs_) {
  ensure_app_rows(*cfg_);
  hub_.count_into(stats_);
  traffic_.count_into(stats_);
  // When each load balancer last took a new routing survives restarts: the
  // switch intents keep it.
  for (const auto& [app, at] : storage::switch_intent_repository(db_).last_applied())
    if (auto when = daemon::parse_utc_text(at))
      stats_.routed(app, std::chrono::duration<double>(when->time_since_epoch()).count());
}

engine::~engine() = default;

void engine::ensure_app_rows(const daemon::config& cfg) {
  storage::app_state_repository states(db_);
  // One commit (one disk sync) for all apps: the start waits for it.
  storage::transaction tx(db_);
  for (const auto& app : cfg.apps) states.ensure(app.name);
  tx.commit();
}

void engine::reload(std::shared_ptr<const daemon::config> cfg, const actor& who) {
  ensure_app_rows(*cfg);  // throws before anything changes
  cfg_ = std::move(cfg);
  stored_.touch();
  traffic_.forget_backends();
  record(who, "config.reload", std::nullopt,
         "loaded " + cfg_->source.string() + " with " + std::to_string(cfg_->apps.size()) +
             " app(s)");
  reality_.start_all();  // new apps, a new interval, or the loop turned on or off
}

app_view engine::view_of(const daemon::app_config& app) {
  app_view view;
  view.cfg = cfg_;
  view.app = &app;
  if (const stored_app* stored = stored_.find(app.name)) {
    view.state = stored->state;
    view.operation_lock = stored->operation_lock;
    view.manual_lock = stored->manual_lock;
    view.load_balancers = stored->load_balancers;
  }
  view.recovering = recovering(app.name);
  view.seen = reality_.seen(app.name);
  return view;
}

std::vector<app_view> engine::apps() {
  std::vector<app_view> out;
  out.reserve(cfg_->apps.size());
  for (const auto& app : cfg_->apps) out.push_back(view_of(app));
  return out;
}

std::optional<app_view> engine::app(std::string_view name) {
  const daemon::app_config* app = cfg_->find_app(name);
  if (!app) return std::nullopt;
  return view_of(*app);
}

std::vector<storage::audit_event> engine::events(int limit, std::optional<std::int64_t> before_id,
                                                 std::optional<std::string_view> app) {
  return storage::audit_repository(db_).list(limit, before_id, app);
}

std::optional<storage::operation_record> engine::operation(std::int64_t id) {
  return storage::operation_repository(db_).find(id);
}

std::vector<storage::operation_record> engine::operations(std::optional<std::string_view> app,
                                                          int limit,
                                                          std::optional<std::int64_t> before_id) {
  return storage::operation_repository(db_).list(app, limit, before_id);
}

std::vector<storage::log_line> engine::log(std::int64_t id, std::int64_t after_id, int limit) {
  return storage::operation_repository(db_).log(id, after_id, limit);
}

asio::awaitable<void> engine::wait_for_log(std::int64_t id, std::int64_t after_id,
                                           std::chrono::milliseconds timeout) {
  co_await logs_.wait(id, after_id, timeout);
}

asio::awaitable<void> engine::follow_log(std::int64_t id, std::int64_t after_id, log_follower& to,
                                         std::chrono::milliseconds quiet) {
  co_await logs_.follow(id, after_id, to, quiet);
}

void engine::notify_log(std::int64_t id) { logs_.notify(id); }


result<storage::lock_record> engine::lock(std::string_view app, std::string_view reason,
                                          const actor& who) {
  if (!cfg_->find_app(app)) return unknown_app(app);
  if (reason.empty() || reason.size() > 500 || !daemon::is_one_line_text(reason)) {
    return failure{failure::kind::invalid, "invalid_reason",
                   "a lock needs a reason of 1 to 500 characters on one line, e.g. "
                   "\"release freeze\""};
  }
  storage::lock_repository locks(db_);
  auto held = locks.try_acquire(app, "manual", who.name, reason, std::nullopt);
  if (held) {
    return failure{failure::kind::conflict, "lock_held",
                   "app \"" + std::string(app) + "\" is already locked by " + held->holder +
                       " since " + held->acquired_at + " (" + held->reason.value_or("") +
                       "); unlock it first"};
  }
  record(who, "app.lock", app, reason);
  return *locks.find(app, "manual");
}

result<storage::lock_record> engine::unlock(std::string_view app, const actor& who) {
  if (!cfg_->find_app(app)) return unknown_app(app);
  storage::lock_repository locks(db_);
  auto held = locks.find(app, "manual");
  if (!held || !locks.release(app, "manual")) {
    return failure{failure::kind::not_found, "not_locked",
                   "app \"" + std::string(app) + "\" is not locked"};
  }
  record(who, "app.unlock", app, "was locked by " + held->holder);
  return *held;
}







std::optional<std::vector<ssh::env_var>> engine::secret_env(std::int64_t id,
                                                            const daemon::app_config& app) {
  std::vector<ssh::env_var> env;
  for (const auto& [name, ref] : app.secrets) {
    auto value = daemon::read_secret(ref);
    if (!value) {
      finish(
          id, storage::operation_state::failed,
          operation_failure("secret_unavailable", "secret " + name + ": " + value.error().message,
                            value.error().detail));
      return std::nullopt;
    }
    env.push_back({name, *value, true});
  }
  return env;
}

ssh::line_sink engine::output_sink(std::int64_t id) {
  return [this, id](std::vector<ssh::output_line>&& lines) {
    std::vector<storage::operation_repository::new_line> rows;
    rows.reserve(lines.size());
    for (auto& l : lines)
      rows.push_back({l.host, l.from == ssh::stream::out ? "stdout" : "stderr", std::move(l.text)});
    storage::operation_repository(db_).append_log_batch(id, rows);
    notify_log(id);
  };
}

void engine::begin_stop(std::function<void()> on_idle) {
  stopping_ = true;
  watches_.stop();
  reality_.stop();
  logs_.release_all();
  hub_.stop();  // event streams end
  ops_.begin_stop([this, on_idle = std::move(on_idle)] {
    // Nothing but recovery runs now: what it still waits for (a load
    // balancer that does not answer) is abandoned rather than holding up
    // the stop; the next start reconciles those apps. So is a look at
    // reality still waiting for one.
    if (!recovering_.empty() || reality_.looking()) runner_.cancel_all();
    on_idle();
  });
}

void engine::shutdown(std::string_view reason) {
  stopping_ = true;
  ops_.shutdown(reason);
  watches_.stop();
  reality_.stop();
  // Followers of logs and of events stop waiting.
  logs_.release_all();
  hub_.stop();
}

}  // namespace bluegreen::engine
