#include "daemon/traffic/backend.hpp"

#include "daemon/traffic/command_backend.hpp"
#include "daemon/traffic/digitalocean_backend.hpp"
#include "daemon/traffic/nginx_backend.hpp"

namespace bluegreen::traffic {

std::unique_ptr<backend> make_backend(const daemon::app_config& app, ssh::runner& runner) {
  if (const auto* n = std::get_if<daemon::nginx_backend>(&app.traffic.backend))
    return std::make_unique<nginx_backend>(app, *n, runner);
  if (const auto* c = std::get_if<daemon::command_backend>(&app.traffic.backend))
    return std::make_unique<command_backend>(app, *c, runner);
  if (const auto* d = std::get_if<daemon::digitalocean_backend>(&app.traffic.backend))
    return std::make_unique<digitalocean_backend>(app, *d);
  return nullptr;  // haproxy and digitalocean come with their own backends
}

}  // namespace bluegreen::traffic
