#include "daemon/engine/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/checks/http_probe.hpp"
#include "daemon/engine/reality.hpp"
#include "daemon/one_line_text.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/traffic/backend.hpp"
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
      make_backend_(std::move(make_backend)),
      gate_(io) {
  if (!make_backend_) {
    make_backend_ = [](const daemon::app_config& app, ssh::runner& r) {
      return std::shared_ptr<traffic::backend>(traffic::make_backend(app, r));
    };
  }
  ensure_app_rows(*cfg_);
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
  backends_.clear();
  record(who, "config.reload", std::nullopt,
         "loaded " + cfg_->source.string() + " with " + std::to_string(cfg_->apps.size()) +
             " app(s)");
  start_reality_loops();  // new apps, a new interval, or the loop turned on or off
}

std::shared_ptr<traffic::backend> engine::backend_for(const daemon::app_config& app) {
  auto it = backends_.find(&app);
  if (it != backends_.end()) return it->second;
  std::shared_ptr<traffic::backend> made = make_backend_(app, runner_);
  backends_[&app] = made;
  return made;
}

app_view engine::view_of(const daemon::app_config& app) {
  app_view view;
  view.cfg = cfg_;
  view.app = &app;
  if (const stored_app* stored = stored_.find(app.name)) {
    view.state = stored->state;
    view.operation_lock = stored->operation_lock;
    view.manual_lock = stored->manual_lock;
  }
  view.recovering = recovering(app.name);
  if (auto seen = reality_seen_.find(app.name); seen != reality_seen_.end())
    view.seen = seen->second;
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

void engine::record(const actor& who, std::string_view action,
                    std::optional<std::string_view> app, std::optional<std::string_view> detail,
                    std::optional<std::int64_t> operation) {
  storage::new_audit_event event;
  event.actor = who.name;
  event.channel = who.channel;
  event.action = std::string(action);
  if (app) event.app = std::string(*app);
  if (detail) event.detail = std::string(*detail);
  event.operation_id = operation;
  storage::audit_repository(db_).record(event);
}

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

result<storage::operation_record> engine::begin(const daemon::app_config& app,
                                                storage::new_operation op,
                                                bool blocked_by_manual_lock) {
  storage::lock_repository locks(db_);
  if (blocked_by_manual_lock) {
    if (auto manual = locks.find(app.name, "manual")) {
      return failure{failure::kind::conflict, "locked",
                     "app \"" + app.name + "\" is locked by " + manual->holder + " since " +
                         manual->acquired_at + " (" + manual->reason.value_or("") +
                         "); unlock it first, or roll back (allowed while locked)"};
    }
  }
  if (auto held = locks.find(app.name, "operation")) {
    return failure{failure::kind::conflict, "operation_running",
                   "app \"" + app.name + "\" is busy: " + held->holder + " since " +
                       held->acquired_at + "; wait for it or cancel it"};
  }
  storage::operation_repository ops(db_);
  op.state = storage::operation_state::running;
  hub_.sync();                   // what changed before is reported before the operation starts
  storage::transaction tx(db_);  // one commit for the operation, its lock and its audit event
  std::int64_t id = ops.create(op);
  std::string kind(to_string(op.kind));
  std::string holder = kind + " #" + std::to_string(id) + " by " + op.actor;
  if (auto held = locks.try_acquire(app.name, "operation", holder, std::nullopt, id)) {
    ops.set_state(
        id, storage::operation_state::failed,
        storage::operation_error{"operation_running", "the app was busy: " + held->holder});
    return failure{failure::kind::conflict, "operation_running",
                   "app \"" + app.name + "\" is busy: " + held->holder};
  }
  record({op.actor, op.channel}, "operation." + kind, app.name,
         op.ref ? "ref " + *op.ref : op.colour ? "to " + *op.colour : std::string(), id);
  auto begun = ops.find(id);
  hub_.operation_started(*begun);
  tx.commit();
  running_[id] = running_operation{app.name, ssh::make_cancel_handle(), false};
  return *begun;
}

void engine::set_state(std::int64_t id, storage::operation_state state,
                       const std::optional<failure>& why) {
  storage::operation_repository ops(db_);
  hub_.sync();                   // what changed before is reported before the new state
  storage::transaction tx(db_);  // the state and its event in one commit
  auto before = ops.find(id);
  std::optional<storage::operation_error> error;
  if (why) error = storage::operation_error{why->code, why->message};
  ops.set_state(id, state, error);
  if (auto now = ops.find(id))
    hub_.operation_changed(*now, before ? std::optional(before->state) : std::nullopt);
  tx.commit();
}

void engine::finish(std::int64_t id, storage::operation_state state, std::optional<failure> why) {
  storage::operation_repository ops(db_);
  auto it = running_.find(id);
  if (it != running_.end() && it->second.shutting_down && state == operation_state::cancelled) {
    state = operation_state::interrupted;
    why = operation_failure("interrupted", "bluegreend stopped while this operation ran");
  }
  if (why) {
    std::string output = why->detail.empty()
                             ? std::string()
                             : " (output: " + daemon::escape_one_line(why->detail) + ")";
    spdlog::info("operation #{} {} ({}): {}{}", id, to_string(state), why->code, why->message,
                 output);
  }
  hub_.sync();  // what changed before is reported before the end
  {
    // The last log line, the state and the lock change in one commit: a
    // crash never leaves an ended operation holding its app.
    storage::transaction tx(db_);
    if (why) event(id, std::string(to_string(state)) + ": " + why->message);
    set_state(id, state, why);
    storage::lock_repository locks(db_);
    if (auto op = ops.find(id)) {
      auto held = locks.find(op->app, "operation");
      if (held && held->operation_id == id) locks.release(op->app, "operation");
    }
    tx.commit();
  }
  if (it != running_.end()) running_.erase(it);
  notify_log(id);
  if (stopping_ && running_.empty() && on_idle_) on_idle_();
}

asio::awaitable<result<storage::operation_record>> engine::guarded(
    const std::int64_t& id, asio::awaitable<result<storage::operation_record>> work) {
  std::string what;
  try {
    co_return co_await std::move(work);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  end_after_crash(id, what);
  co_return failure{failure::kind::internal, "internal",
                    "bluegreend failed while starting the operation; its log says why"};
}

void engine::supervise(std::int64_t id, asio::awaitable<void> work) {
  asio::co_spawn(io_, std::move(work), [this, id](std::exception_ptr thrown) {
    if (!thrown) return;
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    end_after_crash(id, what);
  });
}

void engine::end_after_crash(std::int64_t id, const std::string& what) {
  if (id == 0) {
    spdlog::error("internal error in background work: {}", what);
    return;
  }
  spdlog::error("operation #{} failed with an internal error: {}", id, what);
  std::string reason = "internal error: " + what.substr(0, 300) + " (see bluegreend's log)";
  try {
    auto op = operation(id);
    if (op && !storage::is_terminal_state(op->state)) {
      finish(id, storage::operation_state::failed, operation_failure("internal", reason));
      return;
    }
  } catch (const std::exception& e) {
    spdlog::critical("operation #{}: cannot record its failure: {}", id, e.what());
  }
  // The state could not be recorded (the database fails): still let the
  // app go, so the next operation can start once storage works again.
  auto it = running_.find(id);
  std::string app = it != running_.end() ? it->second.app : std::string();
  try {
    if (app.empty())
      if (auto op = operation(id)) app = op->app;
    if (!app.empty()) {
      storage::lock_repository locks(db_);
      auto held = locks.find(app, "operation");
      if (held && held->operation_id == id) locks.release(app, "operation");
    }
  } catch (const std::exception& e) {
    spdlog::critical("operation #{}: cannot release the lock of {}: {}", id, app, e.what());
  }
  if (it != running_.end()) {
    running_.erase(it);
    notify_log(id);
    if (stopping_ && running_.empty() && on_idle_) on_idle_();
  }
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

void engine::append(std::int64_t id, std::optional<std::string_view> host,
                    std::string_view stream, std::string_view text) {
  storage::operation_repository(db_).append_log(id, host, stream, text);
  notify_log(id);
}

result<storage::operation_record> engine::cancel(std::int64_t id, const actor& who) {
  auto op = operation(id);
  if (!op)
    return failure{failure::kind::not_found, "unknown_operation",
                   "no operation #" + std::to_string(id)};
  if (op->state == storage::operation_state::ready) {
    record(who, "operation.cancel", op->app, std::nullopt, id);
    finish(
        id, storage::operation_state::cancelled,
        operation_failure("cancelled", "cancelled by " + who.name + " before it was switched to"));
    return *operation(id);
  }
  if (op->kind == storage::operation_kind::switch_traffic ||
      op->kind == storage::operation_kind::rollback)
    return failure{failure::kind::conflict, "not_cancellable",
                   "a " + std::string(to_string(op->kind)) +
                       " takes well under a second and is not cancelled half-way; "
                       "switch again or roll back once it ends"};
  auto it = running_.find(id);
  if (it == running_.end())
    return failure{failure::kind::conflict, "not_running",
                   "operation #" + std::to_string(id) + " is " + std::string(to_string(op->state)) +
                       ", not running"};
  record(who, "operation.cancel", op->app, std::nullopt, id);
  event(id, "cancel requested by " + who.name);
  it->second.cancel->cancel();
  return *operation(id);
}

void engine::begin_stop(std::function<void()> on_idle) {
  stopping_ = true;
  on_idle_ = [this, on_idle = std::move(on_idle)] {
    // Nothing but recovery runs now: what it still waits for (a load
    // balancer that does not answer) is abandoned rather than holding up
    // the stop; the next start reconciles those apps. So is a look at
    // reality still waiting for one.
    if (!recovering_.empty() || looks_running_ > 0) runner_.cancel_all();
    on_idle();
  };
  for (auto& [app, stop] : watches_) stop->cancel();
  stop_reality_loops();
  logs_.release_all();
  hub_.stop();  // event streams end
  if (running_.empty() && on_idle_) on_idle_();
}

void engine::shutdown(std::string_view reason) {
  stopping_ = true;
  for (auto& [id, op] : running_) {
    op.shutting_down = true;
    event(id, std::string("stopping: ") + std::string(reason));
    op.cancel->cancel();
  }
  for (auto& [app, stop] : watches_) stop->cancel();
  stop_reality_loops();
  // Followers of logs and of events stop waiting.
  logs_.release_all();
  hub_.stop();
}

}  // namespace bluegreen::engine
