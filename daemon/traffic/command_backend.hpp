// command_backend routes with operator scripts: switch_command moves the
// traffic ({colour}, {app} are substituted, shell-quoted), current_command
// prints the colour it goes to. For Hetzner, AWS, Cloudflare and the like.
//
// Thread-safety: as backend.
#pragma once

#include "daemon/traffic/backend.hpp"

namespace bluegreen::traffic {

class command_backend final : public backend {
 public:
  command_backend(const daemon::app_config& app, const daemon::command_backend& settings,
                  ssh::runner& runner);

  bool supports_weights() const override { return false; }
  boost::asio::awaitable<outcome> current(log_fn log) override;
  boost::asio::awaitable<outcome> route(routing target, log_fn log) override;

 private:
  std::string app_name_;
  daemon::command_backend settings_;
  ssh::runner& runner_;
};

}  // namespace bluegreen::traffic
