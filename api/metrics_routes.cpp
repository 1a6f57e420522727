#include "api/metrics_routes.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "api/application.hpp"
#include "daemon/colour.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/engine/operation_stats.hpp"
#include "daemon/traffic/routing.hpp"
#include "daemon/utc_time.hpp"

namespace bluegreen::api {

namespace asio = boost::asio;
using daemon::colour;
using kind = metric_family::kind;

namespace {

constexpr colour kColours[] = {colour::blue, colour::green};

std::optional<double> unix_seconds(const std::optional<std::string>& utc) {
  if (!utc) return std::nullopt;
  auto at = daemon::parse_utc_text(*utc);
  if (!at) return std::nullopt;
  return std::chrono::duration<double>(at->time_since_epoch()).count();
}

metric_family family(std::string name, std::string help, kind type) {
  return metric_family{std::move(name), std::move(help), type, {}, {}};
}

const storage::colour_record& colour_state(const storage::app_record& app, colour c) {
  return c == colour::blue ? app.blue : app.green;
}

}  // namespace

std::vector<metric_family> gather_metrics(engine::engine& engine, const request_counts& requests,
                                          const metrics_sources& sources) {
  std::vector<metric_family> out;

  auto build =
      family("bluegreend_build_info", "The running bluegreend's version (always 1).", kind::gauge);
  build.samples.push_back({{{"version", BLUEGREEN_VERSION}}, 1});
  out.push_back(std::move(build));

  // Apps as configured now, with what is stored about them (from memory).
  auto apps = engine.apps();
  std::map<std::string_view, bool> configured;
  for (const auto& a : apps) configured[a.app->name] = true;

  const engine::operation_stats& stats = engine.stats();
  auto ops = family("bluegreend_operations_total",
                    "Operations that ended, by app, kind and end state (result).", kind::counter);
  for (const auto& [key, count] : stats.ends())
    if (configured.count(key.app))
      ops.samples.push_back({{{"app", key.app},
                              {"kind", std::string(storage::to_string(key.kind))},
                              {"result", std::string(storage::to_string(key.state))}},
                             static_cast<double>(count)});
  out.push_back(std::move(ops));

  auto durations = family("bluegreend_operation_duration_seconds",
                          "How long operations ran, by kind: from their start until they ended "
                          "or (a deploy waiting to be switched to) became ready.",
                          kind::histogram);
  for (const auto& [k, h] : stats.durations())
    durations.histograms.push_back({{{"kind", std::string(storage::to_string(k))}}, h});
  out.push_back(std::move(durations));

  auto switches = family("bluegreend_switch_duration_seconds",
                         "How long traffic switches took that were applied and confirmed, by "
                         "app: health re-check, load balancer change, confirmation.",
                         kind::histogram);
  for (const auto& [app, h] : stats.switch_durations())
    if (configured.count(app)) switches.histograms.push_back({{{"app", app}}, h});
  out.push_back(std::move(switches));

  auto running = family("bluegreend_operations_running", "Operations running now.", kind::gauge);
  running.samples.push_back({{}, static_cast<double>(engine.running())});
  out.push_back(std::move(running));

  auto live = family("bluegreend_live_colour",
                     "1 for the colour that serves the app (all or most of its traffic), 0 for "
                     "the other; both 0 while it is not known.",
                     kind::gauge);
  auto weight = family("bluegreend_traffic_weight_percent",
                       "The share of the app's traffic the load balancer sends to each colour, "
                       "as last recorded (a canary split shows both).",
                       kind::gauge);
  auto drifted = family("bluegreend_drifted",
                        "1 while the app has drifted (its load balancer or public_url disagrees "
                        "with what bluegreend recorded), else 0.",
                        kind::gauge);
  auto locked =
      family("bluegreend_locked", "1 while the app is locked by hand, else 0.", kind::gauge);
  auto healthy = family("bluegreend_colour_healthy",
                        "1 when the colour's last health check passed, 0 when it failed; absent "
                        "before the first check.",
                        kind::gauge);
  auto deployed = family("bluegreend_last_deploy_timestamp_seconds",
                         "When a release was last deployed to either colour of the app (Unix "
                         "time); absent before the first deploy.",
                         kind::gauge);
  auto switched = family("bluegreend_last_switch_timestamp_seconds",
                         "When the app's load balancer last took a new routing from bluegreend "
                         "(Unix time); absent before the first switch.",
                         kind::gauge);
  for (const auto& a : apps) {
    const std::string& name = a.app->name;
    const storage::app_record& state = a.state;
    std::optional<traffic::routing> routing;
    if (state.routing) routing = traffic::routing::decode(*state.routing);
    for (colour c : kColours) {
      std::string cname(daemon::to_string(c));
      live.samples.push_back({{{"app", name}, {"colour", cname}}, state.live == cname ? 1.0 : 0.0});
      if (routing) {
        auto share = routing->weights.find(c);
        weight.samples.push_back({{{"app", name}, {"colour", cname}},
                                  share == routing->weights.end() ? 0.0 : double(share->second)});
      }
      const auto& health = colour_state(state, c).health;
      if (health)
        healthy.samples.push_back(
            {{{"app", name}, {"colour", cname}}, *health == "ok" ? 1.0 : 0.0});
    }
    drifted.samples.push_back({{{"app", name}}, state.drifted ? 1.0 : 0.0});
    locked.samples.push_back({{{"app", name}}, a.manual_lock ? 1.0 : 0.0});
    std::optional<double> last_deploy;
    for (colour c : kColours)
      if (auto at = unix_seconds(colour_state(state, c).deployed_at))
        last_deploy = last_deploy ? std::max(*last_deploy, *at) : *at;
    if (last_deploy) deployed.samples.push_back({{{"app", name}}, *last_deploy});
    auto routed = stats.last_routed().find(name);
    if (routed != stats.last_routed().end())
      switched.samples.push_back({{{"app", name}}, routed->second});
  }
  for (auto* f : {&live, &weight, &drifted, &locked, &healthy, &deployed, &switched})
    out.push_back(std::move(*f));

  if (sources.ssh) {
    auto counts = sources.ssh();
    auto attempts = family("bluegreend_ssh_connections_total",
                           "SSH connections tried (one per command or reachability check on a "
                           "host).",
                           kind::counter);
    attempts.samples.push_back({{}, static_cast<double>(counts.attempts)});
    out.push_back(std::move(attempts));
    auto failures =
        family("bluegreend_ssh_connection_failures_total",
               "SSH connections that failed before a command could run, by reason.", kind::counter);
    for (auto reason : {ssh::error_kind::connect_failed, ssh::error_kind::auth_failed,
                        ssh::error_kind::host_key_unknown, ssh::error_kind::host_key_changed}) {
      auto it = counts.failures.find(reason);
      failures.samples.push_back({{{"reason", std::string(ssh::to_string(reason))}},
                                  it == counts.failures.end() ? 0.0 : double(it->second)});
    }
    out.push_back(std::move(failures));
  }

  if (sources.notifications) {
    auto counts = sources.notifications();
    auto one = [&](std::string name, std::string help, std::uint64_t value) {
      auto f = family(std::move(name), std::move(help), kind::counter);
      f.samples.push_back({{}, static_cast<double>(value)});
      out.push_back(std::move(f));
    };
    one("bluegreend_notifications_sent_total", "Notifications delivered to their targets.",
        counts.sent);
    one("bluegreend_notifications_failed_total",
        "Notifications given up after their retries (the target refused or could not be "
        "reached).",
        counts.failed);
    one("bluegreend_notifications_dropped_total",
        "Notifications dropped because their target's queue was full, or a reload removed their target.", counts.dropped);
  }

  auto http = family("bluegreend_http_requests_total",
                     "HTTP requests answered, by route pattern (\"none\" when no route matched) "
                     "and status.",
                     kind::counter);
  for (const auto& [key, count] : requests.all())
    http.samples.push_back({{{"route", key.first}, {"status", std::to_string(key.second)}},
                            static_cast<double>(count)});
  out.push_back(std::move(http));
  return out;
}

void add_metrics_route(application& app, bool open, engine::engine& engine,
                       std::shared_ptr<const request_counts> requests, metrics_sources sources) {
  route_spec spec({"GET"}, "/metrics");
  if (open)
    spec.public_access();
  else
    spec.bearer(daemon::scope::metrics);
  app.add(std::move(spec),
          [&engine, requests = std::move(requests), sources = std::move(sources)](
              const request&, const call_context&) -> asio::awaitable<response> {
            response r;
            r.content_type = std::string(kMetricsContentType);
            r.body = render_metrics(gather_metrics(engine, *requests, sources));
            co_return r;
          });
}

}  // namespace bluegreen::api
