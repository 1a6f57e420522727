// Ports for servers that tests start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bluegreen::testing {

// A TCP port that is free on every one of `addresses` right now.
std::uint16_t free_port(const std::vector<std::string>& addresses);

}  // namespace bluegreen::testing
