// switch_watch keeps an eye on an app after a switch to a whole colour:
// public_url is probed every promote.watch_interval for promote.watch, and
// promote.failure_threshold failures in a row switch back to what served
// before, as a rollback operation of its own (actor "watch") that takes the
// app's lock like any other; the watched switch ends `rolled_back`. One
// watch per app: an operation that changes the app's traffic ends it.
//
// Thread-safety: the io thread, like the database it writes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/config.hpp"
#include "daemon/ssh/cancel.hpp"
#include "daemon/traffic/routing.hpp"

namespace boost::asio {
class io_context;
}
namespace bluegreen::storage {
class database;
}

namespace bluegreen::engine {

class log_hub;
class operation_registry;
class traffic_controller;

class switch_watch {
 public:
  switch_watch(boost::asio::io_context& io, storage::database& db, operation_registry& ops,
               traffic_controller& traffic, log_hub& logs);
  switch_watch(const switch_watch&) = delete;
  switch_watch& operator=(const switch_watch&) = delete;

  // Watches what switch `id` did (from `from` to the whole colour `to`),
  // under that operation's supervision; replaces the app's earlier watch.
  // Nothing when the app does not watch, the target is a split, or there
  // was nothing to switch back to.
  void start(std::shared_ptr<const daemon::config> cfg, std::int64_t id, std::string app_name,
             traffic::routing from, traffic::routing to);
  // Ends the app's watch (an operation that changes its traffic began).
  void cancel(std::string_view app);
  // A stop: every watch ends, and none starts again.
  void stop();

 private:
  boost::asio::awaitable<void> watch(std::shared_ptr<const daemon::config> cfg, std::int64_t id,
                                     std::string app_name, traffic::routing from,
                                     traffic::routing to, ssh::cancel_handle stop);
  // The watch gave up on `to`: switch back to `from`. False when the app is
  // busy and the watch should try again later. `busy_said`: whether the
  // watch's log already says the app is busy.
  bool switch_back(std::shared_ptr<const daemon::config> cfg, std::int64_t watched,
                   std::string app_name, traffic::routing from, traffic::routing to,
                   std::string reason, bool& busy_said);
  boost::asio::awaitable<void> run_switch_back(std::shared_ptr<const daemon::config> cfg,
                                               std::int64_t id, std::int64_t watched,
                                               std::string app_name, traffic::routing from,
                                               traffic::routing to, std::string reason);

  boost::asio::io_context& io_;
  storage::database& db_;
  operation_registry& ops_;
  traffic_controller& traffic_;
  log_hub& logs_;
  bool stopping_ = false;
  std::map<std::string, ssh::cancel_handle, std::less<>> watches_;
};

}  // namespace bluegreen::engine
