#include "daemon/checks/identity_probe.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <vector>

#include "daemon/checks/http_probe.hpp"

namespace bluegreen::checks {

namespace asio = boost::asio;
using daemon::colour;

asio::awaitable<identity_result> probe_identity(std::string url, std::string blue_identity,
                                                std::string green_identity,
                                                std::optional<colour> expected) {
  // A load balancer that was just reloaded may answer from old and new
  // workers for a moment: three answers for one colour settle it.
  constexpr int kSettles = 3;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pause(executor);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::map<colour, int> named;
  std::vector<probe_result> batch;
  auto most = [&] { return std::max(named[colour::blue], named[colour::green]); };
  while (most() < kSettles && std::chrono::steady_clock::now() < give_up) {
    // Three probes at once: the common case (all three agree) costs one
    // round trip.
    if (batch.empty()) {
      int count = kSettles - (expected ? named[*expected] : most());
      std::chrono::milliseconds timeout = std::chrono::seconds(5);
      batch = co_await http_get_all(url, count, timeout);
    }
    probe_result probe = std::move(batch.back());
    batch.pop_back();
    if (!probe) co_return probe.error();
    std::optional<colour> answer;
    if (probe->status == 200) {
      if (answers_identity(probe->body, blue_identity))
        answer = colour::blue;
      else if (answers_identity(probe->body, green_identity))
        answer = colour::green;
    }
    if (!answer) {
      co_return daemon::failure{daemon::failure::kind::unavailable, "unexpected_answer",
                                "HTTP " + std::to_string(probe->status)};
    }
    ++named[*answer];
    bool differs =
        expected ? *answer != *expected : named[colour::blue] > 0 && named[colour::green] > 0;
    if (differs && batch.empty() && most() < kSettles) {
      pause.expires_after(std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  identity_seen seen;
  if (most() >= kSettles)
    seen.colour = named[colour::blue] >= kSettles ? colour::blue : colour::green;
  co_return seen;
}

}  // namespace bluegreen::checks
