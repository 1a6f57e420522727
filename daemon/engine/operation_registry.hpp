// operation_registry owns the operations that run: beginning one (the app's
// operation lock, the stored record, its audit line and its
// operation.started event, in one commit), its log lines, state changes and
// end (stored with the error code, reported to the event hub, the log hub
// told), cancel handles, the supervision that never leaves an operation
// running whatever it throws, and the count a graceful stop waits for.
//
// Thread-safety: the io thread, like the database it writes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/engine/result.hpp"
#include "daemon/ssh/cancel.hpp"
#include "storage/operation_repository.hpp"

namespace boost::asio {
class io_context;
}
namespace bluegreen::storage {
class database;
}

namespace bluegreen::engine {

class event_hub;
class log_hub;

// Who asked for something, for the audit log.
struct actor {
  std::string name;     // token name, Slack user, GitHub delivery, "system"
  std::string channel;  // api, cli, slack, github, signal, system
};

class operation_registry {
 public:
  operation_registry(boost::asio::io_context& io, storage::database& db, event_hub& hub,
                     log_hub& logs);

  // Takes the app's operation lock and records a new running operation;
  // refused while another operation holds the app, or (when
  // `blocked_by_manual_lock`) while the app is locked by hand.
  result<storage::operation_record> begin(std::string_view app, storage::new_operation op,
                                          bool blocked_by_manual_lock);
  // A new state, and its event, in one commit.
  void set_state(std::int64_t id, storage::operation_state state,
                 const std::optional<failure>& why = std::nullopt);
  // The end: the last log line, the state and the released lock in one
  // commit. A cancel during a stop is recorded as interrupted.
  void finish(std::int64_t id, storage::operation_state state,
              std::optional<failure> why = std::nullopt);
  // A ready deploy waits for its switch without running: it no longer holds
  // up a graceful stop.
  void release(std::int64_t id);

  void append(std::int64_t id, std::optional<std::string_view> host, std::string_view stream,
              std::string_view text);
  void event(std::int64_t id, std::string_view text) { append(id, std::nullopt, "event", text); }
  void record(const actor& who, std::string_view action, std::optional<std::string_view> app,
              std::optional<std::string_view> detail, std::optional<std::int64_t> operation = {});

  result<storage::operation_record> cancel(std::int64_t id, const actor& who);
  // The running operation's cancel handle (a fresh one when it is not running).
  ssh::cancel_handle cancel_handle(std::int64_t id);

  // Whatever `work` throws before the operation is accepted ends it as failed.
  boost::asio::awaitable<result<storage::operation_record>> guarded(
      const std::int64_t& id, boost::asio::awaitable<result<storage::operation_record>> work);
  // Runs `work` in the background; whatever it throws is logged and ends
  // operation `id` as failed with its lock released (id 0: background work
  // that is no operation, only logged).
  void supervise(std::int64_t id, boost::asio::awaitable<void> work);
  void end_after_crash(std::int64_t id, const std::string& what);

  // A graceful stop begins: `on_idle` is called once no operation runs.
  void begin_stop(std::function<void()> on_idle);
  // Cancels running operations; each ends as interrupted.
  void shutdown(std::string_view reason);
  std::size_t running() const { return running_.size(); }

 private:
  struct running_operation {
    std::string app;
    ssh::cancel_handle cancel;
    bool shutting_down = false;
  };
  void idle_check();

  boost::asio::io_context& io_;
  storage::database& db_;
  event_hub& hub_;
  log_hub& logs_;
  std::map<std::int64_t, running_operation> running_;
  bool stopping_ = false;
  std::function<void()> on_idle_;
};

}  // namespace bluegreen::engine
