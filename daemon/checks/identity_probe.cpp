#include "daemon/checks/identity_probe.hpp"

#include <algorithm>
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
                                                std::optional<colour> expected,
                                                int answers_for_expected) {
  // A load balancer that was just reloaded may answer from old and new
  // workers for a moment: three answers for one colour settle it.
  constexpr int kSettles = 3;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pause(executor);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::map<colour, int> named;
  std::vector<probe_result> batch;
  auto needed = [&](colour c) {
    return expected && c == *expected ? std::max(answers_for_expected, 1) : kSettles;
  };
  auto settled = [&]() -> std::optional<colour> {
    for (colour c : {colour::blue, colour::green})
      if (named[c] >= needed(c)) return c;
    return std::nullopt;
  };
  while (!settled() && std::chrono::steady_clock::now() < give_up) {
    // The answers still needed at once: the common case (all agree) costs
    // one round trip.
    if (batch.empty()) {
      int count = expected ? needed(*expected) - named[*expected]
                           : kSettles - std::max(named[colour::blue], named[colour::green]);
      std::chrono::milliseconds timeout = std::chrono::seconds(5);
      int asking = std::max(count, 1);
      batch = co_await http_get_all(url, asking, timeout);
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
    if (differs && batch.empty() && !settled()) {
      pause.expires_after(std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  identity_seen seen;
  seen.colour = settled();
  co_return seen;
}

}  // namespace bluegreen::checks
