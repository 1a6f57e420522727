#include "daemon/checks/smoke_checks.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/checks/http_probe.hpp"

namespace bluegreen::checks {

namespace asio = boost::asio;

namespace {

std::string describe(const probe_result& r) {
  if (!r) return r.error().message;
  std::string body = r->body.substr(0, 120);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return "HTTP " + std::to_string(r->status) + " \"" + body + "\"";
}

daemon::failure failed(std::string code, std::string message) {
  return daemon::failure{daemon::failure::kind::unavailable, std::move(code), std::move(message)};
}

}  // namespace

asio::awaitable<checks_outcome> run_checks(std::string base_url,
                                           std::vector<daemon::check_config> checks,
                                           daemon::template_values values, bool warm_up,
                                           std::function<void(const std::string&)> progress,
                                           std::function<bool()> cancelled) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (const auto& check : checks) {
    std::string url = base_url + check.path;
    std::optional<std::string> expected;
    if (check.expect_body) expected = daemon::expand(*check.expect_body, values, false);
    unsigned attempts = warm_up ? check.retries + 1 : 1;
    std::string last;
    bool passed = false;
    for (unsigned attempt = 1; attempt <= attempts && !passed; ++attempt) {
      if (cancelled && cancelled()) co_return failed("cancelled", "cancelled");
      auto r = co_await http_get(url, check.timeout);
      passed = r && r->status == check.expect_status &&
               (!expected || r->body.find(*expected) != std::string::npos);
      if (passed) break;
      last = "check " + url + " expected HTTP " + std::to_string(check.expect_status) +
             (expected ? " containing \"" + *expected + "\"" : "") + ", got " + describe(r);
      if (progress)
        progress(last + " (attempt " + std::to_string(attempt) + "/" + std::to_string(attempts) + ")");
      if (attempt < attempts) {
        timer.expires_after(check.interval);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      }
    }
    if (!passed) co_return failed("check_failed", last);
    if (progress) progress("check " + url + " passed");
  }
  std::string summary =
      checks.empty() ? "no checks configured" : std::to_string(checks.size()) + " check(s) passed";
  co_return summary;
}

}  // namespace bluegreen::checks
