// log_hub follows operations' logs: it wakes whoever waits for new lines
// of an operation when lines are stored or the operation ends, and follows
// one log from a line id until the operation has ended and every line was
// given, for the API's followed log (and the dashboard, CLI and chat to
// come). Lines are read from the database at the follower's pace.
//
// Thread-safety: the io thread, like the database it reads.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>

#include "storage/operation_repository.hpp"

namespace boost::asio {
class io_context;
}
namespace bluegreen::storage {
class database;
}

namespace bluegreen::engine {

// Who follows a log. line() and idle() answer false once the follower has
// gone, which ends the following.
class log_follower {
 public:
  virtual ~log_follower() = default;
  virtual boost::asio::awaitable<bool> line(const storage::log_line& l) = 0;
  // The operation runs and printed nothing for a while (keep-alive).
  virtual boost::asio::awaitable<bool> idle() = 0;
  // The operation has ended and every line was given.
  virtual boost::asio::awaitable<void> end(const storage::operation_record& op) = 0;
};

class log_hub {
 public:
  log_hub(boost::asio::io_context& io, storage::database& db) : io_(io), db_(db) {}

  // Gives `to` the lines of operation `id` after line `after_id` as they
  // are stored, 500 at a time, then its end; idle() after `quiet` without a
  // line.
  boost::asio::awaitable<void> follow(std::int64_t id, std::int64_t after_id, log_follower& to,
                                      std::chrono::milliseconds quiet);
  // Waits until the operation has log lines after `after_id`, it ends, or
  // the timeout passes.
  boost::asio::awaitable<void> wait(std::int64_t id, std::int64_t after_id,
                                    std::chrono::milliseconds timeout);
  // New lines of operation `id`, or its end: its waiters go on.
  void notify(std::int64_t id);
  // Every waiter goes on (a stop).
  void release_all();

 private:
  struct waiter;
  boost::asio::io_context& io_;
  storage::database& db_;
  std::map<std::int64_t, std::set<waiter*>> waiters_;
};

}  // namespace bluegreen::engine
