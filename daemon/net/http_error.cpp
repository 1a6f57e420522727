#include "daemon/net/http_error.hpp"

namespace bluegreen::net {

std::string_view to_string(error_kind kind) {
  switch (kind) {
    case error_kind::invalid_request:
      return "invalid_request";
    case error_kind::dns:
      return "dns";
    case error_kind::connect:
      return "connect";
    case error_kind::tls:
      return "tls";
    case error_kind::timeout:
      return "timeout";
    case error_kind::too_large:
      return "too_large";
    case error_kind::io:
      return "io";
    case error_kind::protocol:
      return "protocol";
    case error_kind::redirects:
      return "redirects";
    case error_kind::refused:
      return "refused";
  }
  return "unknown";
}

}  // namespace bluegreen::net
