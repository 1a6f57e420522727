// run_checks runs an app's smoke checks against one colour's URL: each
// check must answer the expected status (and contain the expected body)
// within its retries, which cover the app's warm-up.
//
// Thread-safety: co_await on the io_context's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/result.hpp"
#include "daemon/template.hpp"

namespace bluegreen::checks {

// A summary ("2 check(s) passed"), or a failure: `what` unavailable, `code`
// "check_failed" (`message`: the failing check and what it saw) or
// "cancelled".
using checks_outcome = daemon::result<std::string>;

// `warm_up` false: one attempt per check (a re-check right before a switch).
// `progress` receives one line per attempt that failed and per check passed.
// `cancelled` (may be empty) is asked before every attempt; once it says
// yes the checks stop and fail.
boost::asio::awaitable<checks_outcome> run_checks(
    std::string base_url, std::vector<daemon::check_config> checks,
    daemon::template_values values, bool warm_up,
    std::function<void(const std::string&)> progress,
    std::function<bool()> cancelled = nullptr);

}  // namespace bluegreen::checks
