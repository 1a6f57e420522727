// GET /metrics: what the daemon knows and counts, in Prometheus's text
// format (api/metrics_text). Pulled, not pushed: each part keeps cheap
// counters or state it has anyway (the engine's app state cache and
// operation_stats, the application's request_counts, the SSH runner's and
// the notifier's counters), and a scrape gathers them into a snapshot on
// the io thread and renders it. Label values are bounded: app names from
// the configuration, colours, operation kinds and end states, route
// patterns, status codes, and fixed reasons; never refs or free text.
//
// The parts the API does not know (the runner, the notifier) are read
// through functions that daemon/service.cpp, which composes them, passes.
//
// Thread-safety: register and call on the io_context thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "api/metrics_text.hpp"
#include "api/request_counts.hpp"
#include "daemon/ssh/runner.hpp"

namespace bluegreen::engine {
class engine;
}

namespace bluegreen::api {

class application;

struct notification_counts {
  std::uint64_t sent = 0;     // delivered
  std::uint64_t failed = 0;   // given up after retries
  std::uint64_t dropped = 0;  // dropped from a full queue
};

// Readers of what other parts of the daemon count; an empty one is left
// out of the scrape.
struct metrics_sources {
  std::function<ssh::runner::connection_counts()> ssh;
  std::function<notification_counts()> notifications;
};

// Every metric family as it stands now.
std::vector<metric_family> gather_metrics(engine::engine& engine, const request_counts& requests,
                                          const metrics_sources& sources);

// Registers GET /metrics on `app`: behind a token of scope metrics (or
// higher), or, when `open`, to anyone (the [metrics] listen address, whose
// application serves nothing else). Requests are counted in `requests`.
void add_metrics_route(application& app, bool open, engine::engine& engine,
                       std::shared_ptr<const request_counts> requests, metrics_sources sources);

}  // namespace bluegreen::api
