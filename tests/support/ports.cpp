#include "tests/support/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace bluegreen::testing {

// A port that is free on every address right now.
std::uint16_t free_port(const std::vector<std::string>& addresses) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    inet_pton(AF_INET, addresses.front().c_str(), &addr.sin_addr);
    bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
    std::uint16_t port = ntohs(addr.sin_port);
    close(probe);
    bool all_free = true;
    for (const auto& a : addresses) {
      int s = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in other{};
      other.sin_family = AF_INET;
      other.sin_port = htons(port);
      inet_pton(AF_INET, a.c_str(), &other.sin_addr);
      if (bind(s, reinterpret_cast<sockaddr*>(&other), sizeof other) != 0) all_free = false;
      close(s);
    }
    if (all_free) return port;
  }
  throw std::runtime_error("no free port");
}


}  // namespace bluegreen::testing
