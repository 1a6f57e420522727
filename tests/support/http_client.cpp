#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace bluegreen::testing {

namespace {

using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point end) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

http_connection::http_connection(const std::string& host, std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + " failed: " +
                             std::strerror(errno));
}

http_connection::~http_connection() {
  if (fd_ >= 0) ::close(fd_);
}

bool http_connection::send_raw(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::optional<http_reply> http_connection::read_reply(std::chrono::milliseconds deadline) {
  auto end = clock::now() + deadline;
  auto fill = [&] { return receive(end); };
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return std::nullopt;
  }
  http_reply reply;
  std::string head = buffer_.substr(0, header_end);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return std::nullopt;
  reply.status = std::stoi(status_line.substr(9, 3));
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(pos, next - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply.headers[name] = value;
    }
    pos = next + 2;
  }
  buffer_.erase(0, header_end + 4);
  size_t length = 0;
  if (auto it = reply.headers.find("content-length"); it != reply.headers.end())
    length = std::stoul(it->second);
  while (buffer_.size() < length) {
    if (!fill()) return std::nullopt;
  }
  reply.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return reply;
}

std::string http_connection::read_until_closed(std::chrono::milliseconds deadline) {
  auto end = clock::now() + deadline;
  while (receive(end)) {
  }
  std::string all = std::move(buffer_);
  buffer_.clear();
  return all;
}

bool http_connection::read_until(const std::function<bool(const std::string&)>& enough,
                                 std::chrono::milliseconds deadline) {
  auto end = clock::now() + deadline;
  while (!enough(buffer_))
    if (!receive(end)) return false;
  return true;
}

bool http_connection::receive(clock::time_point end) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, remaining_ms(end)) <= 0) return false;
  char chunk[65536];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

bool http_connection::wait_closed(std::chrono::milliseconds deadline) {
  auto end = clock::now() + deadline;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(end)) <= 0) return false;
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return true;
  }
}

std::optional<http_reply> http_request(std::uint16_t port, const std::string& method,
                                       const std::string& target, const std::string& token,
                                       const std::string& body,
                                       const std::string& extra_headers) {
  http_connection conn("127.0.0.1", port);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
  req += extra_headers;
  req += "\r\n" + body;
  if (!conn.send_raw(req)) return std::nullopt;
  return conn.read_reply();
}

}  // namespace bluegreen::testing
