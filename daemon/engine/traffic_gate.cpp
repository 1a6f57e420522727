#include "daemon/engine/traffic_gate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bluegreen::engine {

namespace asio = boost::asio;

// A change waiting for its turn: its timer never expires by itself, the
// change before it cancels it on leaving and hands the gate over.
struct traffic_gate::waiter {
  explicit waiter(asio::io_context& io) : timer(io, asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
  bool admitted = false;
  bool gone = false;  // the waiting coroutine was destroyed
};

traffic_gate::traffic_gate(asio::io_context& io) : io_(io) {}

traffic_gate::~traffic_gate() = default;

traffic_gate::pass::~pass() {
  if (gate_) gate_->leave(app_);
}

asio::awaitable<traffic_gate::pass> traffic_gate::enter(std::string app) {
  ++changes_[app];
  lane& l = lanes_[app];
  if (!l.held) {
    l.held = true;
    co_return pass(this, app);
  }
  auto me = std::make_shared<waiter>(io_);
  l.queue.push_back(me);
  // If this coroutine is destroyed while it waits (the daemon stops), the
  // gate must not be handed to it.
  struct mark_gone {
    std::shared_ptr<waiter> w;
    ~mark_gone() {
      if (!w->admitted) w->gone = true;
    }
  } guard{me};
  while (!me->admitted) {
    auto [ec] = co_await me->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }
  co_return pass(this, app);
}

bool traffic_gate::busy(std::string_view app) const {
  auto it = lanes_.find(app);
  return it != lanes_.end() && it->second.held;
}

std::uint64_t traffic_gate::changes(std::string_view app) const {
  auto it = changes_.find(app);
  return it == changes_.end() ? 0 : it->second;
}

void traffic_gate::leave(const std::string& app) {
  auto it = lanes_.find(app);
  if (it == lanes_.end()) return;
  lane& l = it->second;
  while (!l.queue.empty()) {
    auto next = l.queue.front();
    l.queue.pop_front();
    if (next->gone) continue;
    next->admitted = true;  // the gate stays held: it passes to `next`
    next->timer.cancel();
    return;
  }
  lanes_.erase(it);
}

}  // namespace bluegreen::engine
