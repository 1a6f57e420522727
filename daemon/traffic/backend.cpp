#include "daemon/traffic/backend.hpp"

#include "daemon/traffic/command_backend.hpp"
#include "daemon/traffic/digitalocean_backend.hpp"
#include "daemon/traffic/fanout_backend.hpp"
#include "daemon/traffic/haproxy_backend.hpp"
#include "daemon/traffic/nginx_backend.hpp"

namespace bluegreen::traffic {

namespace {

// The backend of one load balancer.
std::unique_ptr<backend> make_one(const daemon::app_config& app,
                                  const daemon::load_balancer_config& lb, ssh::runner& runner) {
  if (const auto* n = std::get_if<daemon::nginx_backend>(&lb.backend))
    return std::make_unique<nginx_backend>(app, *n, runner);
  if (const auto* c = std::get_if<daemon::command_backend>(&lb.backend))
    return std::make_unique<command_backend>(app, *c, runner);
  if (const auto* h = std::get_if<daemon::haproxy_backend>(&lb.backend))
    return std::make_unique<haproxy_backend>(app, *h, runner);
  if (const auto* d = std::get_if<daemon::digitalocean_backend>(&lb.backend))
    return std::make_unique<digitalocean_backend>(app, *d);
  return nullptr;
}

}  // namespace

boost::asio::awaitable<readings> backend::current_each(log_fn log) {
  auto seen = co_await current(std::move(log));
  readings out{seen, {seen}};
  co_return out;
}

boost::asio::awaitable<void> backend::prepare_route() { co_return; }

std::unique_ptr<backend> make_backend(const daemon::app_config& app, ssh::runner& runner) {
  const auto& lbs = app.traffic.load_balancers;
  // One load balancer is its backend alone: exactly as before there could
  // be several.
  if (lbs.size() == 1) return make_one(app, lbs.front(), runner);
  if (lbs.empty()) return nullptr;
  std::vector<fanout_backend::member> members;
  for (const auto& lb : lbs) {
    std::shared_ptr<backend> one = make_one(app, lb, runner);
    if (!one) return nullptr;
    members.push_back({lb.name, std::move(one)});
  }
  return std::make_unique<fanout_backend>(std::move(members));
}

}  // namespace bluegreen::traffic
