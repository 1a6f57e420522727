// engine is the daemon's core. It holds the current configuration and the
// state database, answers what the API asks of apps, operations and the
// audit log, and runs the operations of a blue/green release: deploy to the
// idle colour, smoke-test, switch (whole or weighted), watch, roll back,
// named tasks, locks, cancel, and recovery after a crash.
//
// Thread-safety: every call on the io_context's thread, which owns the
// database. Blocking work goes to the SSH runner's workers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/engine/app_state_cache.hpp"
#include "daemon/engine/event_hub.hpp"
#include "daemon/engine/log_hub.hpp"
#include "daemon/engine/operation_registry.hpp"
#include "daemon/engine/operation_stats.hpp"
#include "daemon/engine/result.hpp"
#include "daemon/engine/reality_watcher.hpp"
#include "daemon/engine/switch_watch.hpp"
#include "daemon/engine/traffic_controller.hpp"
#include "daemon/ssh/cancel.hpp"
#include "daemon/ssh/types.hpp"
#include "daemon/traffic/routing.hpp"
#include "storage/app_state_repository.hpp"
#include "storage/audit_repository.hpp"
#include "storage/lock_repository.hpp"
#include "storage/operation_repository.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace bluegreen::storage {
class database;
}
namespace bluegreen::ssh {
class runner;
}
namespace bluegreen::engine {

using storage::operation_kind;
using storage::operation_state;

// One app as the API shows it: its configuration and what is stored about it.
struct app_view {
  std::shared_ptr<const daemon::config> cfg;  // keeps `app` alive
  const daemon::app_config* app = nullptr;
  storage::app_record state;
  std::optional<storage::lock_record> operation_lock;
  std::optional<storage::lock_record> manual_lock;
  // Still being reconciled with its load balancer after start-up; traffic
  // operations on it are refused until then.
  bool recovering = false;
  reality_seen seen;
  std::vector<load_balancer_seen> load_balancers;  // as the reality loop last saw each
};

struct deploy_request {
  std::string ref;
  bool force = false;  // deploy even when the live colour is in doubt (drift)
};

struct switch_request {
  std::optional<daemon::colour> to;  // default: the idle colour
  std::optional<traffic::routing> weights;  // a weighted (canary) split
  bool force = false;
};

struct task_request {
  std::optional<daemon::colour> on;  // default: as the task's configuration says
};

class engine {
 public:
  engine(boost::asio::io_context& io, std::shared_ptr<const daemon::config> cfg,
         storage::database& db, ssh::runner& runner, backend_factory make_backend = {});
  ~engine();

  std::shared_ptr<const daemon::config> current_config() const { return cfg_; }
  // Replaces the configuration (SIGHUP); running operations keep the config
  // they started with.
  void reload(std::shared_ptr<const daemon::config> cfg, const actor& who);

  // Queries. Apps are answered from memory (app_state_cache), no query.
  std::vector<app_view> apps();
  std::optional<app_view> app(std::string_view name);
  // Changes whenever what apps() and app() answer may have changed (stored
  // state, configuration, an app's recovery, a look at reality), so a
  // rendering of them can be kept until then. Every term only grows.
  std::uint64_t apps_version() { return stored_.version() + recovery_changes_ + reality_.changes(); }
  std::vector<storage::audit_event> events(int limit, std::optional<std::int64_t> before_id,
                                           std::optional<std::string_view> app);
  std::optional<storage::operation_record> operation(std::int64_t id);
  std::vector<storage::operation_record> operations(std::optional<std::string_view> app,
                                                    int limit,
                                                    std::optional<std::int64_t> before_id);
  std::vector<storage::log_line> log(std::int64_t id, std::int64_t after_id, int limit);
  // Waits until the operation has log lines after `after_id`, it ends, or the
  // timeout passes (for following a log live).
  boost::asio::awaitable<void> wait_for_log(std::int64_t id, std::int64_t after_id,
                                            std::chrono::milliseconds timeout);
  // Gives `to` the operation's log lines after `after_id` as they come, then
  // its end (see log_hub); idle() after `quiet` without a line.
  boost::asio::awaitable<void> follow_log(std::int64_t id, std::int64_t after_id, log_follower& to,
                                          std::chrono::milliseconds quiet);
  // The stream of operation and app events (read it, wait for more).
  event_hub& event_stream() { return hub_; }

  void record(const actor& who, std::string_view action, std::optional<std::string_view> app,
              std::optional<std::string_view> detail, std::optional<std::int64_t> operation = {}) {
    ops_.record(who, action, app, detail, operation);
  }

  // The manual lock (release freeze): blocks deploys, switches and tasks,
  // never rollbacks, until unlocked.
  result<storage::lock_record> lock(std::string_view app, std::string_view reason,
                                    const actor& who);
  result<storage::lock_record> unlock(std::string_view app, const actor& who);

  // Operations. Each answers once the operation is accepted (or refused),
  // and goes on in the background.
  boost::asio::awaitable<result<storage::operation_record>> deploy(std::string app,
                                                                   deploy_request req,
                                                                   actor who);
  boost::asio::awaitable<result<storage::operation_record>> switch_traffic(std::string app,
                                                                           switch_request req,
                                                                           actor who);
  boost::asio::awaitable<result<storage::operation_record>> rollback(std::string app, actor who);
  boost::asio::awaitable<result<storage::operation_record>> run_task(std::string app,
                                                                     std::string task,
                                                                     task_request req, actor who);
  result<storage::operation_record> cancel(std::int64_t id, const actor& who) {
    return ops_.cancel(id, who);
  }

  // At start-up, before the server listens: what was running is marked
  // interrupted and operation locks are released (one transaction; throws
  // when the database fails). Then, in the background and a few apps at a
  // time, each app's unfinished switch intents and live colour are
  // reconciled with what its load balancer actually routes to; until its
  // turn has ended the app is `recovering`.
  void recover();
  // Whether `app` is still waiting for or in its recovery.
  bool recovering(std::string_view app) const { return recovering_.count(app) > 0; }
  // A graceful stop begins: no new watch starts, running watches end,
  // followers of logs are let go; running operations go on. `on_idle` is
  // called when the last running operation ends.
  void begin_stop(std::function<void()> on_idle);
  // Cancels running operations (they end as interrupted).
  void shutdown(std::string_view reason);
  // Operations running now (for a graceful stop).
  size_t running() const { return ops_.running(); }
  // What operations and switches did since the start (for /metrics).
  const operation_stats& stats() const { return stats_; }

 private:
  // Operations run under the registry's supervision (operation_registry):
  // whatever an operation throws, before or after it was accepted, is logged
  // and ends it as failed with its lock released, never leaving it running.
  boost::asio::awaitable<result<storage::operation_record>> guarded(
      const std::int64_t& id, boost::asio::awaitable<result<storage::operation_record>> work) {
    return ops_.guarded(id, std::move(work));
  }
  void supervise(std::int64_t id, boost::asio::awaitable<void> work) {
    ops_.supervise(id, std::move(work));
  }

  boost::asio::awaitable<result<storage::operation_record>> accept_deploy(std::string app,
                                                                          deploy_request req,
                                                                          actor who,
                                                                          std::int64_t& id);
  boost::asio::awaitable<result<storage::operation_record>> accept_switch(std::string app,
                                                                          switch_request req,
                                                                          actor who,
                                                                          std::int64_t& id);
  boost::asio::awaitable<result<storage::operation_record>> accept_rollback(std::string app,
                                                                            actor who,
                                                                            std::int64_t& id);
  boost::asio::awaitable<result<storage::operation_record>> accept_task(std::string app,
                                                                        std::string task,
                                                                        task_request req, actor who,
                                                                        std::int64_t& id);

  app_view view_of(const daemon::app_config& app);
  void ensure_app_rows(const daemon::config& cfg);

  // The registry's, under the names the flows use.
  result<storage::operation_record> begin(const daemon::app_config& app,
                                          storage::new_operation op, bool blocked_by_manual_lock) {
    return ops_.begin(app.name, std::move(op), blocked_by_manual_lock);
  }
  void set_state(std::int64_t id, storage::operation_state state,
                 const std::optional<failure>& why = std::nullopt) {
    ops_.set_state(id, state, why);
  }
  void finish(std::int64_t id, storage::operation_state state,
              std::optional<failure> why = std::nullopt) {
    ops_.finish(id, state, std::move(why));
  }
  void append(std::int64_t id, std::optional<std::string_view> host, std::string_view stream,
              std::string_view text) {
    ops_.append(id, host, stream, text);
  }
  void event(std::int64_t id, std::string_view text) { ops_.event(id, text); }
  void notify_log(std::int64_t id);
  // The app's secrets as environment for its commands; on failure the
  // operation is finished as failed and nothing is returned.
  std::optional<std::vector<ssh::env_var>> secret_env(std::int64_t id, const daemon::app_config& app);
  // Stores an operation's command output, a batch per commit.
  ssh::line_sink output_sink(std::int64_t id);

  boost::asio::awaitable<void> run_deploy(std::shared_ptr<const daemon::config> cfg,
                                          std::int64_t id, std::string app_name,
                                          daemon::colour idle, deploy_request req, actor who);
  boost::asio::awaitable<void> run_switch(std::shared_ptr<const daemon::config> cfg,
                                          std::int64_t id, std::string app_name,
                                          traffic::routing from, traffic::routing to,
                                          bool recheck,
                                          std::optional<health_ahead> ahead = std::nullopt);
  boost::asio::awaitable<void> run_task_operation(std::shared_ptr<const daemon::config> cfg,
                                                  std::int64_t id, std::string app_name,
                                                  std::string task, daemon::colour on);


  // Connects and logs in to every host of `hosts` without running anything;
  // returns what failed, for people, or nothing when all could be reached.
  boost::asio::awaitable<std::optional<std::string>> reach_all(
      std::int64_t id, std::vector<daemon::ssh_target> hosts, ssh::cancel_handle cancel);
  // Stops what interrupted operations of the app may have left running on
  // the hosts of `colour` (all colours when empty), and forgets them once
  // stopped. Returns what could not be stopped, or nothing.
  boost::asio::awaitable<std::optional<std::string>> stop_leftovers(
      std::shared_ptr<const daemon::config> cfg, std::optional<std::int64_t> log_to,
      std::string app_name, std::string colour);
  boost::asio::awaitable<void> stop_leftovers_after_restart(
      std::shared_ptr<const daemon::config> cfg, std::string app_name);
  // Both of the above before a deploy or task runs anything on `hosts` of
  // `colour`; false when the operation could not go on (it is finished).
  boost::asio::awaitable<bool> prepare_hosts(std::shared_ptr<const daemon::config> cfg,
                                             std::int64_t id, std::string app_name,
                                             std::string colour,
                                             std::vector<daemon::ssh_target> hosts,
                                             ssh::cancel_handle cancel);
  // A new marker for an operation's remote commands, stored with it.
  std::string mark_remote(std::int64_t id, const std::vector<daemon::ssh_target>& hosts);
  // Recovery's background part: workers take the next app from `queue`
  // until it is empty; the last one to end says so in the log.
  struct recovery_queue;
  boost::asio::awaitable<void> recovery_worker(std::shared_ptr<recovery_queue> queue);
  // False when the load balancer could not be read (the recorded state
  // stays; the next operation establishes the live colour itself).
  boost::asio::awaitable<bool> recover_app(std::string app_name);
  // The refusal of a traffic operation on an app that is still recovering.
  std::optional<failure> refuse_while_recovering(std::string_view app) const;

  boost::asio::io_context& io_;
  std::shared_ptr<const daemon::config> cfg_;
  storage::database& db_;
  operation_stats stats_;   // before those that count into it
  app_state_cache stored_;  // what apps() and app() answer from
  event_hub hub_;           // after stored_: it reports what stored_ hears
  log_hub logs_;
  ssh::runner& runner_;
  operation_registry ops_;     // after hub_ and logs_, which it reports to
  traffic_controller traffic_;  // after ops_, whose operations' logs it writes
  reality_watcher reality_;     // after traffic_, which it reads through
  switch_watch watches_;        // after traffic_, through which it switches back
  bool stopping_ = false;
  std::set<std::string, std::less<>> recovering_;
  std::uint64_t recovery_changes_ = 0;  // counts changes of recovering_
};

}  // namespace bluegreen::engine
