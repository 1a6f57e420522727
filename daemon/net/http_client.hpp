// The daemon's HTTP client: one request (any method, header fields, a body)
// over HTTP or HTTPS, on a fresh connection, bounded by request_options
// (connect timeout, total deadline, body cap, redirects followed only when
// asked). Every failure comes back as an http_error in the http_result,
// never as an exception. HTTPS uses one shared tls_context. Beast, Asio's
// sockets and OpenSSL stay in http_client.cpp: this header exposes only
// boost::asio::awaitable and plain values.
//
// Thread-safety: send() runs on the executor of the coroutine that awaits
// it; one client may be used by several coroutines and threads at once.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string_view>

#include "daemon/net/http_request.hpp"
#include "daemon/net/http_result.hpp"
#include "daemon/net/request_options.hpp"
#include "daemon/net/tls_context.hpp"

namespace bluegreen::net {

class http_client {
 public:
  http_client();  // the process-wide tls_context
  explicit http_client(std::shared_ptr<tls_context> tls);

  // Both arguments are named values at the call site (see the coroutine
  // rule in docs/architecture.md), so there are no defaults.
  boost::asio::awaitable<http_result> send(http_request request, request_options options) const;

  // Takes each piece of a 2xx answer's body as it arrives, in order; false
  // stops reading (the exchange then ends with the answer so far).
  using body_sink = std::function<bool(std::string_view piece)>;

  // send() for an answer that does not end soon (Server-Sent Events): the
  // body of a 2xx answer goes to `sink` as it arrives, without a size cap,
  // and the response's body stays empty; any other answer's body is read
  // whole within max_body_bytes, as send() does. options.total_timeout
  // bounds the whole exchange, options.idle_timeout (when set) each wait
  // for more of it; no redirect is followed.
  boost::asio::awaitable<http_result> send_streaming(http_request request, request_options options,
                                                     body_sink sink) const;

 private:
  std::shared_ptr<tls_context> tls_;
};

}  // namespace bluegreen::net
