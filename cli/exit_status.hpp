// The exit status of `bluegreen`, the one table scripts rely on (documented
// in bluegreen(1)): what an HTTP answer, a failure to get one, or the end of
// a followed operation means for the caller.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "daemon/net/http_error.hpp"

namespace bluegreen::cli {

enum exit_status : int {
  exit_ok = 0,
  exit_operation_failed = 1,  // a followed operation ended other than succeeded or ready
  exit_usage = 2,             // bad command line or client configuration
  exit_refused = 3,           // the API refused the request (4xx but 401/403)
  exit_unreachable = 4,       // cannot connect or authenticate (also 401, 403)
  exit_server = 5,            // 5xx, or an answer that is not the API's JSON
};

// For an answer's status: 2xx is exit_ok.
exit_status exit_for_status(int http_status);
// For an exchange that got no answer.
exit_status exit_for_error(net::error_kind kind);
// For a followed operation's final state.
exit_status exit_for_state(std::string_view state);

}  // namespace bluegreen::cli
