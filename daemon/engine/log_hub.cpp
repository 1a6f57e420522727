#include "daemon/engine/log_hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bluegreen::engine {

namespace asio = boost::asio;

struct log_hub::waiter {
  waiter(asio::io_context& io, std::chrono::milliseconds timeout) : timer(io, timeout) {}
  asio::steady_timer timer;
};

asio::awaitable<void> log_hub::follow(std::int64_t id, std::int64_t after_id, log_follower& to,
                                      std::chrono::milliseconds quiet) {
  constexpr int kPage = 500;
  storage::operation_repository ops(db_);
  std::int64_t cursor = after_id;
  for (;;) {
    auto lines = ops.log(id, cursor, kPage);
    for (const auto& l : lines) {
      if (!co_await to.line(l)) co_return;
      cursor = l.id;
    }
    if (lines.size() == kPage) continue;
    auto op = ops.find(id);
    if (!op) co_return;
    if (!storage::is_running_state(op->state)) {
      // Lines stored just before the end are given before it.
      if (!ops.log(id, cursor, 1).empty()) continue;
      co_await to.end(*op);
      co_return;
    }
    co_await wait(id, cursor, quiet);
    if (ops.log(id, cursor, 1).empty()) {
      auto now = ops.find(id);
      if (now && storage::is_running_state(now->state))
        if (!co_await to.idle()) co_return;
    }
  }
}

asio::awaitable<void> log_hub::wait(std::int64_t id, std::int64_t after_id,
                                    std::chrono::milliseconds timeout) {
  storage::operation_repository ops(db_);
  if (!ops.log(id, after_id, 1).empty()) co_return;
  auto op = ops.find(id);
  if (!op || storage::is_terminal_state(op->state)) co_return;
  waiter w(io_, timeout);
  waiters_[id].insert(&w);
  co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  auto it = waiters_.find(id);
  if (it != waiters_.end()) {
    it->second.erase(&w);
    if (it->second.empty()) waiters_.erase(it);
  }
}

void log_hub::notify(std::int64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  for (auto* w : it->second) w->timer.cancel();
}

void log_hub::release_all() {
  for (auto& [id, ws] : waiters_)
    for (auto* w : ws) w->timer.cancel();
}

}  // namespace bluegreen::engine
