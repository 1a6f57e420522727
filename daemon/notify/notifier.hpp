// notifier tells the team what happened: it follows the engine's event
// stream from the newest event at start-up, turns each event into at most
// one notification (event_notification), and delivers it to every
// [[notify.target]] whose events and apps filters take it, in the target's
// format (message_format). Each target has its own bounded queue (the
// oldest is dropped, with a log line, when it is full) and its own worker,
// which delivers in order, retrying as delivery_policy says; a delivery
// that is given up is logged (the target's name and the event, never its
// URL, which is a credential) and counted. It also sends "not deployed for
// N days" alerts at the daily slot (not_deployed_rule), remembering in the
// state database when each app was last alerted, waking on a timer at the
// next moment one can become due.
//
// Deliveries do not block: requests are the HTTP client's, asynchronous on
// the io thread, with short timeouts. Two things do block the io thread,
// briefly: at start and at every reload, the targets' URLs and secrets are
// read from their secret references (small local files or credentials, as
// the daemon reads its configuration and hook secrets); and the daily alert
// reads and records when apps were last alerted in the state database, as
// the engine's own reads do. A graceful stop reads what was stored until
// then and gives the queues kStopGrace to be delivered.
//
// Thread-safety: the io thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "daemon/config.hpp"
#include "daemon/engine/task_group.hpp"
#include "daemon/net/address_policy.hpp"
#include "daemon/net/http_client.hpp"
#include "daemon/notify/not_deployed_rule.hpp"
#include "daemon/notify/notification.hpp"
#include "storage/event_repository.hpp"

namespace boost::asio {
class io_context;
}
namespace bluegreen::engine {
class engine;
}
namespace bluegreen::storage {
class database;
}

namespace bluegreen::notify {

class notifier {
 public:
  // Notifications waiting per target; the oldest is dropped beyond it.
  static constexpr std::size_t kQueueLimit = 200;
  // How long a graceful stop waits for the queues to be delivered.
  static constexpr std::chrono::seconds kStopGrace{5};
  // The longest the not-deployed timer sleeps before it looks again.
  static constexpr std::chrono::hours kLongestSleep{1};

  notifier(boost::asio::io_context& io, engine::engine& core, storage::database& db);
  ~notifier();
  notifier(const notifier&) = delete;
  notifier& operator=(const notifier&) = delete;

  // Reads the targets of `cfg` and begins: events after the newest stored
  // now, and the alerts due now.
  void start(std::shared_ptr<const daemon::config> cfg);
  // The configuration was reloaded: targets are read again (a target kept
  // under its name keeps its queue), and the alerts' times recomputed.
  void reload(std::shared_ptr<const daemon::config> cfg);
  // A graceful stop: what was stored is read and queued, the queues get
  // kStopGrace, then everything ends.
  void stop();

  // Counters for the metrics: notifications delivered, given up, dropped
  // from a full queue.
  std::uint64_t sent() const { return sent_; }
  std::uint64_t failed() const { return failed_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  struct target;

  void load_targets(const daemon::config& cfg);
  void spawn(std::string name, boost::asio::awaitable<void> work);
  void enqueue(const notification& n);
  void handle(const storage::event_record& event);
  // Queues the alerts due now; returns when the next one can become due.
  std::optional<time_point> queue_due_alerts();

  boost::asio::awaitable<void> read_events();
  boost::asio::awaitable<void> watch_deploy_age();
  boost::asio::awaitable<void> work(std::shared_ptr<target> t);
  boost::asio::awaitable<void> deliver(std::shared_ptr<target> t, notification n);

  boost::asio::io_context& io_;
  engine::engine& core_;
  storage::database& db_;
  std::shared_ptr<const daemon::config> cfg_;
  std::shared_ptr<const net::address_policy> outbound_;
  net::http_client client_;
  std::map<std::string, std::shared_ptr<target>, std::less<>> targets_;
  std::int64_t cursor_ = 0;
  boost::asio::steady_timer stop_wait_;    // the reader's, once the event stream stopped
  boost::asio::steady_timer alert_timer_;  // until an alert can become due
  boost::asio::steady_timer grace_;        // the end of a graceful stop
  bool started_ = false;
  bool stopping_ = false;
  std::size_t active_ = 0;  // coroutines running
  std::uint64_t sent_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t dropped_ = 0;
  engine::task_group tasks_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bluegreen::notify
