#include "cli/exit_status.hpp"

namespace bluegreen::cli {

exit_status exit_for_status(int http_status) {
  if (http_status >= 200 && http_status < 300) return exit_ok;
  if (http_status == 401 || http_status == 403) return exit_unreachable;
  if (http_status >= 400 && http_status < 500) return exit_refused;
  return exit_server;  // 5xx, and what the API never sends (1xx, 3xx)
}

exit_status exit_for_error(net::error_kind kind) {
  switch (kind) {
    case net::error_kind::invalid_request:
      return exit_usage;  // the URL or token cannot be sent: the client's configuration
    case net::error_kind::too_large:
    case net::error_kind::protocol:
    case net::error_kind::redirects:
      return exit_server;  // an answer, but not the API's
    case net::error_kind::dns:
    case net::error_kind::connect:
    case net::error_kind::tls:
    case net::error_kind::timeout:
    case net::error_kind::io:
    case net::error_kind::refused:
      break;
  }
  return exit_unreachable;
}

exit_status exit_for_state(std::string_view state) {
  return state == "succeeded" || state == "ready" ? exit_ok : exit_operation_failed;
}

}  // namespace bluegreen::cli
