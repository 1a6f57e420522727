// Why an HTTP exchange produced no answer: a kind that callers can act on
// and a message for people (it names the host and what failed, and never
// contains request headers or bodies, which may hold credentials).
//
// Thread-safety: plain values.
#pragma once

#include <string>
#include <string_view>

namespace bluegreen::net {

enum class error_kind {
  invalid_request,  // a URL, method or header that cannot be sent
  dns,              // the host name does not resolve
  connect,          // no TCP connection (refused, unreachable)
  tls,              // handshake or certificate verification failed, or a bad CA file
  timeout,          // the connect timeout or the total deadline passed
  too_large,        // the answer's header or body is over the cap
  io,               // the connection failed while sending or reading
  protocol,         // the answer is not valid HTTP, or a redirect cannot be followed
  redirects,        // more redirects than allowed
  refused,          // the outbound address policy refused the host (nothing was sent)
};

std::string_view to_string(error_kind kind);

struct http_error {
  error_kind kind = error_kind::io;
  std::string message;
};

}  // namespace bluegreen::net
