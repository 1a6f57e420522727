// server is the HTTP/1.1 listener: it accepts connections on the
// io_context and runs one coroutine session per connection. Each request
// gets a fresh parser with a header limit and a deadline; once the header
// is read, the body limit of the request's route applies while the body is
// read. The plain request goes to the handler and its response (a string,
// an embedded file or a stream) goes back, with keep-alive. Requests whose
// framing or Host is ambiguous are refused with 400 and the connection
// closed. Connections past a cap are refused at
// once, and when the process runs out of descriptors accepting pauses
// instead of spinning. Asio and Beast stay inside server.cpp.
//
// Thread-safety: construct, start and stop on the io_context's thread; the
// handler is called on that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http_message.hpp"
#include "daemon/result.hpp"

namespace boost::asio {
class io_context;
}

namespace bluegreen::api {

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8765;  // 0: any free port
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  // The body limit of the route a request goes to, asked once its header is
  // read (the request has no body yet); nullopt, or no function: the limit
  // above. The body is refused with 413 as soon as it passes the limit.
  std::function<std::optional<std::size_t>(const request& head)> body_limit_of;
  // Time allowed for a whole request to arrive (also the keep-alive idle
  // time) and for a response to be written.
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  // Connections served at once; past it a new connection is answered 503 and
  // closed at once. Lowered at start when the descriptor limit
  // (RLIMIT_NOFILE) leaves too little room for it beside the daemon's own
  // files, SSH sessions and pipes.
  std::size_t max_connections = 512;
  // Descriptors that other listeners of the process may hold at once (the
  // metrics listener's connections), left out of the room the cap must fit.
  std::size_t descriptors_elsewhere = 0;
};

class server {
 public:
  using handler = std::function<boost::asio::awaitable<response>(const request&)>;

  server(boost::asio::io_context& io, server_options options, handler h);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and starts accepting. Fails when the address cannot be used:
  // code "invalid_listen_address" (not an IP address) or "cannot_listen"
  // (bind or listen refused, e.g. the port is taken).
  daemon::result<void> start();
  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // Stops accepting and ends idle connections; requests being answered
  // finish their response first.
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace bluegreen::api
