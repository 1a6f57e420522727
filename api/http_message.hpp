// Plain HTTP request and response values that the router and handlers work
// on, so that handlers are testable without sockets. The server converts to
// and from Beast's types at the edge. Value types.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bluegreen::api {

struct embedded_file;

struct request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path and query
  // Header names in lower case; a repeated header's values are joined with
  // ", " (RFC 9110, 5.3), as the server reads them.
  std::map<std::string, std::string> headers;
  std::string body;
  std::string remote;  // peer address, for logs

  const std::string* header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

// Writes the body of a streamed response (Server-Sent Events) as it is made.
class stream_writer {
 public:
  virtual ~stream_writer() = default;
  // False once the client has gone.
  virtual boost::asio::awaitable<bool> write(std::string data) = 0;
};

// The body is one of: `body` (a string), `file` (an embedded file, sent
// from the binary without a copy) or `stream` (made while it is sent).
struct response {
  int status = 200;
  std::string content_type = "application/json";  // empty: no Content-Type (304)
  std::string body;
  const embedded_file* file = nullptr;  // when set, sent instead of `body`
  std::vector<std::pair<std::string, std::string>> headers;
  // Said to the log, never to the client (e.g. the cause of a 500).
  std::string log_note;
  // When set, the body is streamed by this function instead of `body`, and
  // the connection closes when it returns.
  std::function<boost::asio::awaitable<void>(stream_writer&)> stream;
};

}  // namespace bluegreen::api
