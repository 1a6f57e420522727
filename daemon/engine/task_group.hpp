// task_group runs the daemon's background work that is not an operation -
// following an operation to tell a chat what became of it, delivering
// notifications - under one owner: what a task throws is logged with its
// name, the running ones are counted, and stop() cancels them (their
// pending waits end with operation_aborted), so a graceful stop never waits
// for a chat message. A task that asks the engine for an operation disables
// cancellation around that call itself
// (asio::this_coro::reset_cancellation_state): the engine's own stop
// decides what becomes of operations, as it does for the API's.
//
// Thread-safety: the io thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace bluegreen::engine {

class task_group {
 public:
  explicit task_group(boost::asio::io_context& io) : io_(io) {}
  ~task_group();
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  // Starts `work` on the io thread. Refused (false, nothing runs) once
  // stop() was called.
  bool spawn(std::string name, boost::asio::awaitable<void> work);
  // Cancels every running task; no new one starts.
  void stop();
  bool stopping() const { return stopping_; }
  std::size_t running() const { return running_.size(); }

 private:
  boost::asio::io_context& io_;
  bool stopping_ = false;
  std::uint64_t next_ = 0;
  // Each running task and its cancellation.
  std::map<std::uint64_t, std::shared_ptr<boost::asio::cancellation_signal>> running_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bluegreen::engine
