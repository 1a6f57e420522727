// reality_watcher runs the reality loop: between operations, every
// reality.interval, each app's load balancer is asked what it routes to,
// public_url which colour answers, and both colours whether they are
// healthy; what changed is recorded (drift included), so the app view tells
// the truth between operations. It only reads: it never routes, never takes
// the app's lock or traffic gate, and a look that overlapped a traffic
// change of the app is thrown away. At most a few looks run at once across
// all apps; a load balancer that keeps failing is looked at less often.
//
// Thread-safety: the io thread, like the database it writes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/config.hpp"

namespace boost::asio {
class io_context;
}
namespace bluegreen::storage {
class database;
}

namespace bluegreen::engine {

class app_state_cache;
class operation_registry;
class traffic_controller;

// When the reality loop last looked at an app (kept in memory, not
// stored): unset before its first look since bluegreend started.
struct reality_seen {
  std::optional<std::string> seen_at;  // UTC, "2026-11-30T09:07:59.123Z"
  std::optional<std::string> blue_health_checked_at;
  std::optional<std::string> green_health_checked_at;
};

class reality_watcher {
 public:
  // The configuration of now (it changes with reloads).
  using config_source = std::function<std::shared_ptr<const daemon::config>()>;
  // Whether an app is still being recovered (not looked at until it is).
  using recovering_fn = std::function<bool(std::string_view)>;

  reality_watcher(boost::asio::io_context& io, storage::database& db, app_state_cache& stored,
                  traffic_controller& traffic, operation_registry& ops, config_source config,
                  recovering_fn recovering);
  ~reality_watcher();
  reality_watcher(const reality_watcher&) = delete;
  reality_watcher& operator=(const reality_watcher&) = delete;

  // Starts the loop of `app` (once recovered), unless the loop is off or
  // it already runs.
  void start(const std::string& app);
  // After a reload: running loops read the configuration again (a new
  // interval, an app removed, the loop turned off) and new apps start.
  void start_all();
  // A stop: every loop ends, and none starts again.
  void stop();

  // When the app was last looked at.
  reality_seen seen(std::string_view app) const;
  // Whether a look is under way (a stop cancels what it waits for).
  bool looking() const { return looks_running_ > 0; }
  // Grows whenever what seen() answers changes.
  std::uint64_t changes() const { return changes_; }

 private:
  struct loop;
  struct look_slot;
  boost::asio::awaitable<void> run(std::string app_name, std::shared_ptr<loop> me);
  boost::asio::awaitable<void> look(std::shared_ptr<const daemon::config> cfg,
                                    std::string app_name, std::shared_ptr<loop> me);

  boost::asio::io_context& io_;
  storage::database& db_;
  app_state_cache& stored_;
  traffic_controller& traffic_;
  operation_registry& ops_;
  config_source config_;
  recovering_fn recovering_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<loop>, std::less<>> loops_;
  std::map<std::string, reality_seen, std::less<>> seen_;
  std::uint64_t changes_ = 0;        // counts changes of seen_
  std::size_t looks_running_ = 0;    // rounds holding a look slot
  std::deque<std::shared_ptr<look_slot>> looks_waiting_;
};

}  // namespace bluegreen::engine
