// haproxy_backend routes through HAProxy's runtime API without a reload:
// one HAProxy backend holds both colours' servers, and a switch sets their
// weights over the admin socket (the colour taking traffic first, the one
// leaving last, in one line, so the backend never runs out of servers),
// then saves `show servers state` of the backend to its server-state file
// so that a reload keeps the switch. A colour is routed to only when
// HAProxy reports all its servers UP. On this machine the socket is
// reached directly; on a load balancer over SSH, through socat there.
//
// Thread-safety: as backend.
#pragma once

#include "daemon/traffic/backend.hpp"
#include "daemon/traffic/haproxy_state.hpp"

namespace bluegreen::traffic {

struct haproxy_run;
struct haproxy_plan;

class haproxy_backend final : public backend {
 public:
  haproxy_backend(const daemon::app_config& app, const daemon::haproxy_backend& settings,
                  ssh::runner& runner);

  bool supports_weights() const override { return true; }
  boost::asio::awaitable<outcome> current(log_fn log) override;
  boost::asio::awaitable<outcome> route(routing target, log_fn log) override;

 private:
  // `show servers state <backend>`, parsed.
  boost::asio::awaitable<daemon::result<std::vector<haproxy_server>>> read_state();
  // The commands that route `state` to `target`, or why not (a server of
  // the target colour not UP, weights that cannot express the split).
  haproxy_plan plan(const std::vector<haproxy_server>& state, const routing& target) const;
  // Sends `set` (a `;`-separated line), saves the state file, and puts
  // `restore` back when either fails; the saved file's text, or why not.
  boost::asio::awaitable<haproxy_run> apply(std::string set, std::string restore);
  haproxy_run apply_here(const std::string& set, const std::string& restore) const;
  std::string where() const;  // "HAProxy (SOCKET)" or "HAProxy on HOST (SOCKET)"

  daemon::haproxy_backend settings_;
  haproxy_layout layout_;
  ssh::runner& runner_;
};

}  // namespace bluegreen::traffic
