// nginx_backend routes by rewriting an upstream include file that nginx
// loads, testing the configuration, and reloading nginx: on this machine the
// file is written directly and only the operator's test and reload commands
// start processes; on a load balancer over SSH it is one script. The file carries a marker
// line; what it routes to is read from its server lines.
//
// Thread-safety: as backend.
#pragma once

#include <memory>
#include <mutex>

#include "daemon/traffic/backend.hpp"
#include "daemon/traffic/nginx_upstream.hpp"

namespace bluegreen::ssh {
class local_command;
}

namespace bluegreen::traffic {

struct route_run;

class nginx_backend final : public backend {
 public:
  nginx_backend(const daemon::app_config& app, const daemon::nginx_backend& settings,
                ssh::runner& runner);
  ~nginx_backend() override;

  bool supports_weights() const override { return true; }
  boost::asio::awaitable<outcome> current(log_fn log) override;
  boost::asio::awaitable<outcome> route(routing target, log_fn log) override;
  // On this machine: starts the shell of the test and reload, which waits
  // until a route() lets it go (nothing over SSH).
  boost::asio::awaitable<void> prepare_route() override;

  // The upstream file for `target` (pure; exposed for tests).
  std::string render(const routing& target) const;
  // What a file routes to, judged by its server lines.
  outcome parse(const std::string& file) const;

 private:
  upstream_layout layout() const;
  // The route step on this machine, on a worker thread: write the file,
  // test, reload, restore on failure.
  route_run route_here(const std::string& text);
  // The operator's test, then reload, as one shell script.
  std::string test_and_reload() const;

  std::string app_name_;
  daemon::nginx_backend settings_;
  std::vector<std::string> blue_upstreams_;
  std::vector<std::string> green_upstreams_;
  ssh::runner& runner_;
  // The shell prepare_route() started, until a route runs it. Guarded by
  // ready_mutex_: both run on the runner's workers.
  std::mutex ready_mutex_;
  std::unique_ptr<ssh::local_command> ready_;
};

}  // namespace bluegreen::traffic
