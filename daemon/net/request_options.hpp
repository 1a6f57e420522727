// How one exchange of the HTTP client is bounded: how long connecting may
// take, the deadline for the whole exchange (name resolution, connecting,
// TLS, sending, reading, and every redirect followed), how large the
// answer's body may be, how many redirects are followed (none unless asked),
// and an extra CA file trusted besides the system store for this target
// (a self-signed or private CA setup).
//
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "daemon/net/address_policy.hpp"

namespace bluegreen::net {

struct request_options {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
  std::size_t max_body_bytes = 1024 * 1024;
  unsigned max_redirects = 0;
  // http_client::send_streaming only: the longest wait for more of the
  // answer (a silent peer ends as a timeout); zero: no limit but the total.
  std::chrono::milliseconds idle_timeout{0};
  std::string ca_file;  // PEM; empty: the system store only
  // Set for URLs that came from outside (notifications, a chat command's
  // response_url): every address the host names or resolves to must pass
  // it, and redirects are never followed. Unset: the operator's own URLs
  // (smoke checks, identity probes, the DigitalOcean API) go anywhere.
  std::shared_ptr<const address_policy> outbound;
};

}  // namespace bluegreen::net
