// Ports for servers that tests start, where the server cannot bind port 0
// itself (one port shared by several addresses, or a port that must be
// known before the server starts). Another program may take such a port
// between the pick and the bind: whoever starts the server retries on
// "Address already in use" with a new pick.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bluegreen::testing {

// A TCP port that is free on every one of `addresses` right now.
std::uint16_t free_port(const std::vector<std::string>& addresses);
// `count` different TCP ports, each free on every one of `addresses` right now.
std::vector<std::uint16_t> free_ports(const std::vector<std::string>& addresses, size_t count);

}  // namespace bluegreen::testing
