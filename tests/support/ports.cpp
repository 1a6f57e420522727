#include "tests/support/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace bluegreen::testing {

namespace {

// A socket bound to address:port, or -1.
int bound_socket(const std::string& address, std::uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1 ||
      bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(s);
    return -1;
  }
  return s;
}

}  // namespace

std::vector<std::uint16_t> free_ports(const std::vector<std::string>& addresses, size_t count) {
  // Each pick stays bound until all are made, so no port is picked twice.
  std::vector<int> held;
  std::vector<std::uint16_t> ports;
  for (int attempt = 0; attempt < 100 && ports.size() < count; ++attempt) {
    int probe = bound_socket(addresses.front(), 0);
    if (probe < 0) continue;
    held.push_back(probe);
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
    std::uint16_t port = ntohs(addr.sin_port);
    bool all_free = true;
    for (size_t i = 1; i < addresses.size() && all_free; ++i) {
      int other = bound_socket(addresses[i], port);
      all_free = other >= 0;
      if (other >= 0) close(other);
    }
    if (all_free) ports.push_back(port);
  }
  for (int s : held) close(s);
  if (ports.size() < count) throw std::runtime_error("no free port");
  return ports;
}

std::uint16_t free_port(const std::vector<std::string>& addresses) {
  return free_ports(addresses, 1).front();
}

}  // namespace bluegreen::testing
