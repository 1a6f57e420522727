// POST /hooks/github: GitHub's push webhook, the HTTP side of
// github::github_service. A delivery is verified by its X-Hub-Signature-256
// over the raw body, under the [github] secret as loaded now (it changes on
// reload); without a [github] secret every delivery is refused with 404
// saying what to configure, with one that could not be read with 503. The
// headers and the payload are read here; `ping` is answered, a `push` goes
// to the service (once per X-GitHub-Delivery; deploys go on in `tasks`),
// everything else is answered 2xx with why it was ignored.
//
// Thread-safety: register and handle on the io_context thread that owns the
// engine and the database.
#pragma once

#include <chrono>
#include <cstddef>

namespace bluegreen::engine {
class engine;
class task_group;
}  // namespace bluegreen::engine
namespace bluegreen::daemon {
class hook_secrets;
}
namespace bluegreen::storage {
class database;
}

namespace bluegreen::api {

class application;

struct github_route_options {
  std::size_t max_body_bytes = 5 * 1024 * 1024;  // [github] max_body_bytes
  std::chrono::milliseconds answer_within{5000};
  std::chrono::hours keep_deliveries{24 * 30};
  // How often remembered deliveries past their time are removed.
  std::chrono::minutes prune_every{60};
};

void add_github_routes(application& app, engine::engine& engine, storage::database& db,
                       const daemon::hook_secrets& secrets, engine::task_group& tasks,
                       github_route_options options);

}  // namespace bluegreen::api
