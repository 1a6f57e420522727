#include "daemon/traffic/haproxy_socket.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/net/host_port.hpp"
#include "daemon/traffic/backend.hpp"

namespace bluegreen::traffic {

namespace {

using clock_type = std::chrono::steady_clock;

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits for `events` on `fd` until the deadline; false on timeout.
bool wait_for(int fd, short events, clock_type::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // the next call reports the error
  }
}

daemon::failure unreachable(const std::string& socket, const std::string& why) {
  std::string hint = why.find("ermission") != std::string::npos
                         ? " (the daemon's user needs read and write access to the socket: see "
                           "`stats socket ... mode/user/group`)"
                         : " (is HAProxy running with `stats socket " + socket +
                               " level admin` in its configuration?)";
  return backend_failure("backend_failed",
                         "cannot reach HAProxy's admin socket " + socket + ": " + why + hint);
}

// Connects `fd` to `addr` within the deadline; an error text, or empty.
std::string connect_within(int fd, const sockaddr* addr, socklen_t len,
                           clock_type::time_point deadline) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (::connect(fd, addr, len) == 0) return {};
  if (errno != EINPROGRESS && errno != EAGAIN) return std::strerror(errno);
  if (!wait_for(fd, POLLOUT, deadline)) return "no connection within the time limit";
  int err = 0;
  socklen_t err_len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
  return err == 0 ? std::string() : std::strerror(err);
}

daemon::result<int> connect_to(const std::string& socket, clock_type::time_point deadline) {
  if (socket.starts_with('/')) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket.size() >= sizeof addr.sun_path)
      return unreachable(socket, "the path is longer than a unix socket path may be");
    std::memcpy(addr.sun_path, socket.c_str(), socket.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return unreachable(socket, std::strerror(errno));
    std::string why =
        connect_within(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr, deadline);
    if (!why.empty()) {
      ::close(fd);
      return unreachable(socket, why);
    }
    return fd;
  }
  auto hp = net::parse_host_port(socket, net::host_port_rules{.port_required = true});
  if (!hp) return unreachable(socket, "not a path or host:port");
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(*hp->port);
  if (int rc = ::getaddrinfo(hp->host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return unreachable(socket, gai_strerror(rc));
  std::string why = "no address";
  int fd = -1;
  for (auto* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    why = connect_within(fd, a->ai_addr, a->ai_addrlen, deadline);
    if (!why.empty()) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return unreachable(socket, why);
  return fd;
}

}  // namespace

daemon::result<std::string> haproxy_exchange(const std::string& socket, const std::string& line,
                                             std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  auto connected = connect_to(socket, deadline);
  if (!connected) return connected.error();
  fd_guard fd{connected.value()};
  std::string request = line + "\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd.fd, POLLOUT, deadline))
        return unreachable(socket, "HAProxy took no command within the time limit");
    } else {
      return unreachable(socket, std::string("sending failed: ") + std::strerror(errno));
    }
  }
  // HAProxy closes the connection once it has answered the line.
  std::string reply;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd.fd, buf, sizeof buf, 0);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      return reply;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(fd.fd, POLLIN, deadline))
        return unreachable(socket, "HAProxy did not finish answering within the time limit");
    } else {
      return unreachable(socket, std::string("reading failed: ") + std::strerror(errno));
    }
  }
}

}  // namespace bluegreen::traffic
