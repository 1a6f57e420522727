// A deliberately plain HTTP/1.1 client over a POSIX socket for tests: it
// sends raw bytes (so tests can send broken requests) and reads with a
// deadline, so no test can hang.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace bluegreen::testing {

struct http_reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class http_connection {
 public:
  http_connection(const std::string& host, std::uint16_t port);
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  bool send_raw(const std::string& bytes);
  // Reads one response (Content-Length framed) within the deadline.
  std::optional<http_reply> read_reply(
      std::chrono::milliseconds deadline = std::chrono::seconds(10));
  // Reads everything until the server closes the connection (or the deadline).
  std::string read_until_closed(std::chrono::milliseconds deadline);
  // Reads (a streamed body, after read_reply took the header) until `enough`
  // says what was received is; false on deadline or close. received() is
  // everything not taken by read_reply.
  bool read_until(const std::function<bool(const std::string&)>& enough,
                  std::chrono::milliseconds deadline);
  const std::string& received() const { return buffer_; }
  // Waits until the server closes the connection; false on deadline.
  bool wait_closed(std::chrono::milliseconds deadline);

 private:
  // Appends what arrives before `end` to buffer_; false on deadline or close.
  bool receive(std::chrono::steady_clock::time_point end);

  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection.
std::optional<http_reply> http_request(std::uint16_t port, const std::string& method,
                                       const std::string& target, const std::string& token = "",
                                       const std::string& body = "",
                                       const std::string& extra_headers = "");

}  // namespace bluegreen::testing
