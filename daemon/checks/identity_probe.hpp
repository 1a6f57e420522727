// probe_identity asks public_url + identity_path which colour serves it:
// three requests at once, each on its own connection, and more rounds 10 ms
// apart while the answers differ. The first colour to be named 3 times
// settles it; answers that still name both colours after 3 s are
// `alternating`; an answer that names neither colour (an error, another
// status, another body) ends it as `unanswered`. Used to establish the live
// colour before an operation and by the reality loop between operations.
//
// Thread-safety: co_await on the io_context's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "daemon/colour.hpp"

namespace bluegreen::checks {

struct identity_seen {
  enum class kind { answered, alternating, unanswered };
  kind outcome = kind::unanswered;
  std::optional<daemon::colour> colour;  // when answered
  std::string detail;                    // when unanswered: "HTTP 502" or why there was no answer
};

// `expected`: the colour the load balancer routes to, when known; each new
// round then asks only for as many answers as it still needs from it.
boost::asio::awaitable<identity_seen> probe_identity(std::string url, std::string blue_identity,
                                                     std::string green_identity,
                                                     std::optional<daemon::colour> expected);

}  // namespace bluegreen::checks
