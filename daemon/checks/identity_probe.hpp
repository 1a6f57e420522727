// probe_identity asks public_url + identity_path which colour serves it:
// three requests at once, each on its own connection, and more rounds 10 ms
// apart while the answers differ. The first colour to be named 3 times
// settles it; answers that still name both colours after 3 s are
// alternating; an answer that names neither colour (no answer, another
// status, another body) ends it as a failure. Used to establish the live
// colour before an operation and by the reality loop between operations.
//
// Thread-safety: co_await on the io_context's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "daemon/colour.hpp"
#include "daemon/result.hpp"

namespace bluegreen::checks {

// The colour that answers, or none when both answer alternately.
struct identity_seen {
  std::optional<daemon::colour> colour;
  bool alternating() const { return !colour; }
};

// A failure means an answer named neither colour: `what` is unavailable,
// `code` "unexpected_answer" (another status or body; `message` "HTTP 502")
// or the probe's code when there was no HTTP answer (`message` says why).
using identity_result = daemon::result<identity_seen>;

// `expected`: the colour the load balancer routes to, when known; each new
// round then asks only for as many answers as it still needs from it.
boost::asio::awaitable<identity_result> probe_identity(std::string url, std::string blue_identity,
                                                       std::string green_identity,
                                                       std::optional<daemon::colour> expected);

}  // namespace bluegreen::checks
