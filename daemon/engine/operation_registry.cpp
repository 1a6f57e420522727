#include "daemon/engine/operation_registry.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/engine/event_hub.hpp"
#include "daemon/engine/log_hub.hpp"
#include "storage/audit_repository.hpp"
#include "storage/database.hpp"
#include "storage/lock_repository.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::engine {

namespace asio = boost::asio;
using storage::operation_state;

operation_registry::operation_registry(asio::io_context& io, storage::database& db,
                                       event_hub& hub, log_hub& logs)
    : io_(io), db_(db), hub_(hub), logs_(logs) {}

result<storage::operation_record> operation_registry::begin(std::string_view app_name,
                                                            storage::new_operation op,
                                                            bool blocked_by_manual_lock) {
  std::string app(app_name);
  storage::lock_repository locks(db_);
  if (blocked_by_manual_lock) {
    if (auto manual = locks.find(app, "manual")) {
      return failure{failure::kind::conflict, "locked",
                     "app \"" + app + "\" is locked by " + manual->holder + " since " +
                         manual->acquired_at + " (" + manual->reason.value_or("") +
                         "); unlock it first, or roll back (allowed while locked)"};
    }
  }
  if (auto held = locks.find(app, "operation")) {
    return failure{failure::kind::conflict, "operation_running",
                   "app \"" + app + "\" is busy: " + held->holder + " since " +
                       held->acquired_at + "; wait for it or cancel it"};
  }
  storage::operation_repository ops(db_);
  op.state = storage::operation_state::running;
  hub_.sync();                   // what changed before is reported before the operation starts
  storage::transaction tx(db_);  // one commit for the operation, its lock and its audit event
  std::int64_t id = ops.create(op);
  std::string kind(to_string(op.kind));
  std::string holder = kind + " #" + std::to_string(id) + " by " + op.actor;
  if (auto held = locks.try_acquire(app, "operation", holder, std::nullopt, id)) {
    ops.set_state(
        id, storage::operation_state::failed,
        storage::operation_error{"operation_running", "the app was busy: " + held->holder});
    return failure{failure::kind::conflict, "operation_running",
                   "app \"" + app + "\" is busy: " + held->holder};
  }
  record({op.actor, op.channel}, "operation." + kind, app,
         op.ref ? "ref " + *op.ref : op.colour ? "to " + *op.colour : std::string(), id);
  auto begun = ops.find(id);
  hub_.operation_started(*begun);
  tx.commit();
  running_[id] = running_operation{app, ssh::make_cancel_handle(), false};
  return *begun;
}

void operation_registry::set_state(std::int64_t id, storage::operation_state state,
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

void operation_registry::finish(std::int64_t id, storage::operation_state state, std::optional<failure> why) {
  storage::operation_repository ops(db_);
  auto it = running_.find(id);
  if (it != running_.end() && it->second.shutting_down && state == operation_state::cancelled) {
    state = operation_state::interrupted;
    why = operation_failure("interrupted", "bluegreend stopped while this operation ran");
  }
  if (why)
    spdlog::info("operation #{} {} ({}): {}{}", id, to_string(state), why->code, why->message,
                 output_for_log(*why));
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
  logs_.notify(id);
  idle_check();
}

asio::awaitable<result<storage::operation_record>> operation_registry::guarded(
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

void operation_registry::supervise(std::int64_t id, asio::awaitable<void> work) {
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

void operation_registry::end_after_crash(std::int64_t id, const std::string& what) {
  if (id == 0) {
    spdlog::error("internal error in background work: {}", what);
    return;
  }
  spdlog::error("operation #{} failed with an internal error: {}", id, what);
  std::string reason = "internal error: " + what.substr(0, 300) + " (see bluegreend's log)";
  try {
    auto op = storage::operation_repository(db_).find(id);
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
      if (auto op = storage::operation_repository(db_).find(id)) app = op->app;
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
    logs_.notify(id);
    idle_check();
  }
}

void operation_registry::record(const actor& who, std::string_view action,
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

void operation_registry::append(std::int64_t id, std::optional<std::string_view> host,
                    std::string_view stream, std::string_view text) {
  storage::operation_repository(db_).append_log(id, host, stream, text);
  logs_.notify(id);
}

result<storage::operation_record> operation_registry::cancel(std::int64_t id, const actor& who) {
  auto op = storage::operation_repository(db_).find(id);
  if (!op)
    return failure{failure::kind::not_found, "unknown_operation",
                   "no operation #" + std::to_string(id)};
  if (op->state == storage::operation_state::ready) {
    record(who, "operation.cancel", op->app, std::nullopt, id);
    finish(
        id, storage::operation_state::cancelled,
        operation_failure("cancelled", "cancelled by " + who.name + " before it was switched to"));
    return *storage::operation_repository(db_).find(id);
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
  return *storage::operation_repository(db_).find(id);
}

void operation_registry::release(std::int64_t id) {
  running_.erase(id);
  logs_.notify(id);
  idle_check();
}

ssh::cancel_handle operation_registry::cancel_handle(std::int64_t id) {
  auto it = running_.find(id);
  return it != running_.end() ? it->second.cancel : ssh::make_cancel_handle();
}

void operation_registry::begin_stop(std::function<void()> on_idle) {
  stopping_ = true;
  on_idle_ = std::move(on_idle);
  idle_check();
}

void operation_registry::shutdown(std::string_view reason) {
  stopping_ = true;
  for (auto& [id, op] : running_) {
    op.shutting_down = true;
    event(id, std::string("stopping: ") + std::string(reason));
    op.cancel->cancel();
  }
}

void operation_registry::idle_check() {
  if (stopping_ && running_.empty() && on_idle_) on_idle_();
}

}  // namespace bluegreen::engine
