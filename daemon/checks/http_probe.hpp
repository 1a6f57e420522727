// http_get fetches one URL (http or https) from the io_context through the
// HTTP client (net::http_client, with the process-wide TLS context), with
// an overall deadline, and reports status and body (up to 1 MiB) or, as a
// failure, why there was no answer. Used for smoke checks, health re-checks
// and the identity probe through public_url.
//
// Thread-safety: co_await on the io_context's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "daemon/result.hpp"

namespace bluegreen::checks {

// An HTTP response arrived (any status).
struct http_answer {
  int status = 0;
  std::string body;
  std::chrono::milliseconds elapsed{0};
};

// A failure means no HTTP answer: `what` is unavailable, `code` the HTTP
// client's error kind ("dns", "connect", "tls", "timeout", "too_large",
// "io", "protocol", "redirects", "invalid_request"; "probe_failed", kind
// internal, when the probe itself threw), `message` what went wrong.
using probe_result = daemon::result<http_answer>;

// True when `body` is exactly `identity`, give or take surrounding space.
bool answers_identity(const std::string& body, const std::string& identity);

boost::asio::awaitable<probe_result> http_get(std::string url, std::chrono::milliseconds timeout);

// `count` fetches of one URL at the same time, each on its own connection;
// the results in no particular order.
boost::asio::awaitable<std::vector<probe_result>> http_get_all(std::string url, int count,
                                                               std::chrono::milliseconds timeout);

}  // namespace bluegreen::checks
