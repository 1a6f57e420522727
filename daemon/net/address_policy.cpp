#include "daemon/net/address_policy.hpp"

namespace bluegreen::net {

address_policy::address_policy(std::vector<std::string> allow) : allow_(std::move(allow)) {}

std::optional<std::string> address_policy::refuse(std::string_view, std::string_view) const {
  return std::nullopt;
}

}  // namespace bluegreen::net
