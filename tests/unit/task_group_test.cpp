#include "daemon/engine/task_group.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <stdexcept>

namespace bluegreen::engine {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Waits on a timer far in the future; records how the wait ended.
asio::awaitable<void> wait_long(bool& cancelled, bool& ended) {
  asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  cancelled = ec == asio::error::operation_aborted;
  ended = true;
}

// Ends when its timer expires, not before, unless cancelled; a task that
// disables cancellation itself runs to its end.
asio::awaitable<void> wait_briefly(bool& expired, bool cancellable = true) {
  if (!cancellable)
    co_await asio::this_coro::reset_cancellation_state(asio::disable_cancellation());
  asio::steady_timer timer(co_await asio::this_coro::executor, 50ms);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  expired = !ec;
}

asio::awaitable<void> fail() {
  throw std::runtime_error("boom");
  co_return;
}

TEST(TaskGroup, StopCancelsTasksAndOnesThatDisableCancellationFinish) {
  asio::io_context io;
  task_group tasks(io);
  bool cancelled = false, long_ended = false, brief_expired = false, late_ran = false;
  ASSERT_TRUE(tasks.spawn("long wait", wait_long(cancelled, long_ended)));
  ASSERT_TRUE(tasks.spawn("brief wait", wait_briefly(brief_expired, false)));
  ASSERT_TRUE(tasks.spawn("failing", fail()));
  io.poll();
  EXPECT_EQ(tasks.running(), 2u);  // the failing one ended, logged
  tasks.stop();
  EXPECT_FALSE(tasks.spawn("late", wait_briefly(late_ran)));
  io.run_for(10s);
  EXPECT_TRUE(long_ended);
  EXPECT_TRUE(cancelled);
  EXPECT_TRUE(brief_expired);  // not cancelled: it ran to its end
  EXPECT_FALSE(late_ran);
  EXPECT_EQ(tasks.running(), 0u);
}

}  // namespace
}  // namespace bluegreen::engine
