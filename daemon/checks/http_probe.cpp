#include "daemon/checks/http_probe.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/net/http_client.hpp"

namespace bluegreen::checks {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxBody = 1024 * 1024;

}  // namespace

bool answers_identity(const std::string& body, const std::string& identity) {
  auto first = body.find_first_not_of(" \t\r\n");
  auto last = body.find_last_not_of(" \t\r\n");
  if (first == std::string::npos) return identity.empty();
  return !identity.empty() && body.compare(first, last - first + 1, identity) == 0;
}

asio::awaitable<probe_result> http_get(std::string url, std::chrono::milliseconds timeout) {
  auto started = std::chrono::steady_clock::now();
  net::http_request request;
  request.url = std::move(url);
  request.headers = {{"User-Agent", "bluegreend-probe"}, {"Cache-Control", "no-cache"}};
  net::request_options options;
  options.connect_timeout = timeout;
  options.total_timeout = timeout;
  options.max_body_bytes = kMaxBody;
  const net::http_client client;
  auto answer = co_await client.send(request, options);

  if (!answer.ok()) {
    const net::http_error& why = answer.error();
    co_return daemon::failure{daemon::failure::kind::unavailable,
                              std::string(net::to_string(why.kind)), why.message};
  }
  http_answer r;
  r.status = answer.response().status;
  r.body = std::move(answer.response().body);
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  co_return r;
}

namespace {

struct fetches {
  explicit fetches(asio::any_io_executor executor, int count)
      : done(std::move(executor), std::chrono::steady_clock::time_point::max()), left(count) {}
  asio::steady_timer done;  // cancelled when the last fetch ends
  int left;
  std::vector<probe_result> results;
};

asio::awaitable<void> fetch_into(std::shared_ptr<fetches> all, std::string url,
                                 std::chrono::milliseconds timeout) {
  auto r = co_await http_get(url, timeout);
  all->results.push_back(std::move(r));
  if (--all->left == 0) all->done.cancel();
}

}  // namespace

asio::awaitable<std::vector<probe_result>> http_get_all(std::string url, int count,
                                                        std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  auto all = std::make_shared<fetches>(executor, count);
  for (int i = 0; i < count; ++i) {
    // A fetch that throws still counts, as a probe without an answer, so
    // the wait below always ends.
    asio::co_spawn(executor, fetch_into(all, url, timeout), [all](std::exception_ptr e) {
      if (!e) return;
      std::string why = "the probe failed";
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        why += std::string(": ") + ex.what();
      } catch (...) {
      }
      // Named first: built in place, GCC 12 warns of an uninitialised
      // http_answer in the variant (-Wmaybe-uninitialized, a false positive).
      probe_result failed =
          daemon::failure{daemon::failure::kind::internal, "probe_failed", std::move(why)};
      all->results.push_back(std::move(failed));
      if (--all->left == 0) all->done.cancel();
    });
  }
  if (all->left > 0) co_await all->done.async_wait(use_tuple);
  co_return std::move(all->results);
}

}  // namespace bluegreen::checks
