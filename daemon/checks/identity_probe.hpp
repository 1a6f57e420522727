// probe_identity asks public_url + identity_path which colour serves it:
// the answers it still needs at once, each request on its own connection,
// and more rounds 10 ms apart while the answers differ. The first colour
// named 3 times (or as often as the caller asks of the expected colour)
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
// `answers_for_expected` answers from it settle it (the other colour always
// needs 3): 1 where the load balancer's configuration was just read and
// only a load balancer that does not serve what it says must be caught (an
// old worker's answer for the other colour is then not mistaken for it).
boost::asio::awaitable<identity_result> probe_identity(std::string url, std::string blue_identity,
                                                       std::string green_identity,
                                                       std::optional<daemon::colour> expected,
                                                       int answers_for_expected = 3);

}  // namespace bluegreen::checks
