#include "tests/support/http_receiver.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace bluegreen::testing {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

const char* reason_of(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    default: return "Status";
  }
}

}  // namespace

http_receiver::http_receiver(const std::string& address) : address_(address) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0)
    throw std::runtime_error("http_receiver: cannot listen on " + address + ": " +
                             std::strerror(errno));
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  if (::pipe2(wake_fd_, O_CLOEXEC) != 0) throw std::runtime_error("http_receiver: pipe failed");
  thread_ = std::thread([this] { serve(); });
}

http_receiver::~http_receiver() {
  char b = 0;
  (void)!::write(wake_fd_[1], &b, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_[0]);
  ::close(wake_fd_[1]);
}

std::string http_receiver::url(const std::string& path) const {
  return "http://" + address_ + ":" + std::to_string(port_) + path;
}

void http_receiver::answer_next(receiver_answer answer) {
  std::lock_guard lock(mutex_);
  queued_.push_back(std::move(answer));
}

void http_receiver::answer_with(std::function<receiver_answer(const received_request&)> decide) {
  std::lock_guard lock(mutex_);
  decide_ = std::move(decide);
}

bool http_receiver::wait_for(size_t count, std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] { return requests_.size() >= count; });
}

bool http_receiver::wait_until(const std::function<bool(const received_request&)>& match,
                               std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] {
    return std::any_of(requests_.begin(), requests_.end(), match);
  });
}

std::vector<received_request> http_receiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t http_receiver::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

void http_receiver::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard lock(mutex_);
      ++connections_;
    }
    handle(fd);
    ::close(fd);
  }
}

void http_receiver::handle(int fd) {
  // A request must arrive within this long, or the connection is dropped.
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string buffer;
  auto fill = [&]() -> bool {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    end - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  };
  size_t header_end;
  while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) return;
  received_request req;
  std::string head = buffer.substr(0, header_end);
  size_t line_end = head.find("\r\n");
  std::string request_line = head.substr(0, line_end);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.rfind(' ');
  if (sp1 == std::string::npos || sp2 <= sp1) return;
  req.method = request_line.substr(0, sp1);
  req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(pos, next - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos)
      req.headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
    pos = next + 2;
  }
  size_t length = 0;
  if (auto it = req.headers.find("content-length"); it != req.headers.end())
    length = std::stoul(it->second);
  while (buffer.size() < header_end + 4 + length)
    if (!fill()) return;
  req.body = buffer.substr(header_end + 4, length);

  receiver_answer answer;
  {
    std::lock_guard lock(mutex_);
    if (decide_) {
      answer = decide_(req);
    } else if (!queued_.empty()) {
      answer = std::move(queued_.front());
      queued_.pop_front();
    }
  }
  std::string out = "HTTP/1.1 " + std::to_string(answer.status) + " " + reason_of(answer.status) +
                    "\r\nContent-Length: " + std::to_string(answer.body.size()) +
                    "\r\nConnection: close\r\n";
  for (const auto& [name, value] : answer.headers) out += name + ": " + value + "\r\n";
  out += "\r\n" + answer.body;
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  // Recorded once answered, so a test that saw the request sees its answer
  // sent too.
  std::lock_guard lock(mutex_);
  requests_.push_back(std::move(req));
  changed_.notify_all();
}

}  // namespace bluegreen::testing
