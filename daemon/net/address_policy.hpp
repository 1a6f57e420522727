// address_policy decides which addresses the daemon's requests to URLs that
// came from outside - notification targets, a chat command's response_url -
// may reach: public addresses only, never loopback, private, link-local or
// cloud metadata addresses, unless the operator allowed the host name or a
// network explicitly ([outbound] allow).
//
// Thread-safety: immutable once built; share it through shared_ptr<const>.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::net {

class address_policy {
 public:
  // From [outbound] allow: host names, addresses and CIDR networks (the
  // configuration loader has checked their form).
  explicit address_policy(std::vector<std::string> allow);

  // Why a request to `host` (as written in the URL) may not go to
  // `address` (a literal or resolved address, as text), for people; nullopt
  // when it may.
  std::optional<std::string> refuse(std::string_view host, std::string_view address) const;

 private:
  std::vector<std::string> allow_;
};

}  // namespace bluegreen::net
