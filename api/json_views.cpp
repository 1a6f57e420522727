#include "api/json_views.hpp"

#include <nlohmann/json.hpp>

#include "daemon/duration.hpp"
#include "daemon/engine/event_data.hpp"

namespace bluegreen::api {

namespace {

using nlohmann::json;

template <typename T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json secret_source_json(const daemon::secret_ref& ref) {
  return ref.from == daemon::secret_ref::source::file ? json{{"file", ref.name}}
                                                      : json{{"credential", ref.name}};
}

json colour_state_json(const storage::colour_record& c) {
  return {{"ref", optional_json(c.ref)},
          {"sha", optional_json(c.sha)},
          {"deployed_at", optional_json(c.deployed_at)},
          {"deployed_by", optional_json(c.deployed_by)},
          {"verified", c.verified},
          {"health", optional_json(c.health)},
          {"health_at", optional_json(c.health_at)}};
}

json colour_json(const daemon::colour_config& cfg, const storage::colour_record& state,
                 bool with_config) {
  json out = colour_state_json(state);
  out["url"] = cfg.url;
  out["identity"] = cfg.identity;
  if (with_config) {
    json hosts = json::array();
    for (const auto& h : cfg.hosts) hosts.push_back(h.text);
    out["hosts"] = hosts;
    out["upstreams"] = cfg.upstreams;
  }
  return out;
}

// What the reality loop last saw, beside what is recorded.
json reality_json(const engine::app_view& view) {
  return {{"routing", optional_json(view.state.observed_routing)},
          {"identity", optional_json(view.state.observed_identity)},
          {"error", optional_json(view.state.observed_error)},
          {"load_balancers", engine::load_balancers_json(view.load_balancers)},
          {"seen_at", optional_json(view.seen.seen_at)},
          {"drifted", view.state.drifted},
          {"drift_reason", optional_json(view.state.drift_reason)}};
}

void add_health_checked_at(json& out, const engine::app_view& view) {
  out["blue"]["health_checked_at"] = optional_json(view.seen.blue_health_checked_at);
  out["green"]["health_checked_at"] = optional_json(view.seen.green_health_checked_at);
}

json locks_json(const engine::app_view& view) {
  return {{"manual", view.manual_lock ? lock_json(*view.manual_lock) : json(nullptr)},
          {"operation", view.operation_lock ? lock_json(*view.operation_lock) : json(nullptr)}};
}

// One load balancer's keys.
json backend_json(const daemon::backend_settings& settings) {
  json out = json::object();
  if (const auto* b = std::get_if<daemon::nginx_backend>(&settings)) {
    out["upstream_file"] = b->upstream_file.string();
    out["upstream_name"] = b->upstream_name;
    out["test_command"] = b->test_command;
    out["reload_command"] = b->reload_command;
    out["host"] = b->host ? json(b->host->text) : json(nullptr);
  } else if (const auto* b = std::get_if<daemon::haproxy_backend>(&settings)) {
    out["socket"] = b->socket;
    out["backend_name"] = b->backend;
    out["blue_servers"] = b->blue_servers;
    out["green_servers"] = b->green_servers;
    out["state_file"] = b->state_file.string();
    out["host"] = b->host ? json(b->host->text) : json(nullptr);
  } else if (const auto* b = std::get_if<daemon::digitalocean_backend>(&settings)) {
    out["reserved_ip"] = b->reserved_ip;
    out["token"] = secret_source_json(b->token);
    out["blue_droplet_id"] = b->blue_droplet_id;
    out["green_droplet_id"] = b->green_droplet_id;
    out["api_url"] = b->api_url;
    out["ca_file"] = b->ca_file.empty() ? json(nullptr) : json(b->ca_file);
    out["switch_timeout"] = daemon::format_duration(b->switch_timeout);
    out["poll_interval"] = daemon::format_duration(b->poll_interval);
  } else if (const auto* b = std::get_if<daemon::command_backend>(&settings)) {
    out["switch_command"] = b->switch_command;
    out["current_command"] = b->current_command;
    out["host"] = b->host ? json(b->host->text) : json(nullptr);
  }
  return out;
}

// The first load balancer's keys stay at the top, as they were before an
// app could have several.
json traffic_json(const daemon::traffic_config& t) {
  json out = {{"backend", t.backend_name()}, {"weights", t.supports_weights()}};
  json all = json::array();
  for (const auto& lb : t.load_balancers) {
    json one = backend_json(lb.backend);
    if (all.empty()) out.update(one);
    one["name"] = lb.name;
    all.push_back(std::move(one));
  }
  out["load_balancers"] = std::move(all);
  return out;
}

std::string_view task_target_name(daemon::task_config::target t) {
  switch (t) {
    case daemon::task_config::target::idle: return "idle";
    case daemon::task_config::target::live: return "live";
    case daemon::task_config::target::blue: return "blue";
    default: return "green";
  }
}

}  // namespace

json lock_json(const storage::lock_record& lock) {
  return {{"holder", lock.holder},
          {"reason", optional_json(lock.reason)},
          {"operation_id", optional_json(lock.operation_id)},
          {"acquired_at", lock.acquired_at}};
}

json app_summary_json(const engine::app_view& view) {
  const auto& app = *view.app;
  json out = {{"name", app.name},
              {"public_url", app.public_url},
              {"live", optional_json(view.state.live)},
              {"routing", optional_json(view.state.routing)},
              {"drifted", view.state.drifted},
              {"drift_reason", optional_json(view.state.drift_reason)},
              {"previous_live", optional_json(view.state.previous_live)},
              {"recovering", view.recovering},
              {"backend", app.traffic.backend_name()},
              {"weights", app.traffic.supports_weights()},
              {"default_ref", app.deploy.default_ref},
              {"promote_mode",
               app.promote.mode == daemon::promote_config::mode::automatic ? "auto" : "manual"},
              {"blue", colour_json(app.blue, view.state.blue, false)},
              {"green", colour_json(app.green, view.state.green, false)},
              {"locks", locks_json(view)},
              {"reality", reality_json(view)}};
  add_health_checked_at(out, view);
  return out;
}

json app_detail_json(const engine::app_view& view) {
  const auto& app = *view.app;
  json out = app_summary_json(view);
  out["identity_path"] = optional_json(app.identity_path);
  out["blue"] = colour_json(app.blue, view.state.blue, true);
  out["green"] = colour_json(app.green, view.state.green, true);
  add_health_checked_at(out, view);
  out["deploy"] = {{"steps", app.deploy.steps},
                   {"resolve", app.deploy.resolve},
                   {"default_ref", app.deploy.default_ref},
                   {"timeout", daemon::format_duration(app.deploy.timeout)}};
  json checks = json::array();
  for (const auto& c : app.checks) {
    checks.push_back({{"path", c.path},
                      {"expect_status", c.expect_status},
                      {"expect_body", optional_json(c.expect_body)},
                      {"retries", c.retries},
                      {"interval", daemon::format_duration(c.interval)},
                      {"timeout", daemon::format_duration(c.timeout)}});
  }
  out["checks"] = checks;
  out["promote"] = {
      {"mode", app.promote.mode == daemon::promote_config::mode::automatic ? "auto" : "manual"},
      {"watch", daemon::format_duration(app.promote.watch)},
      {"watch_interval", daemon::format_duration(app.promote.watch_interval)},
      {"failure_threshold", app.promote.failure_threshold}};
  out["traffic"] = traffic_json(app.traffic);
  json tasks = json::object();
  for (const auto& [name, task] : app.tasks) {
    tasks[name] = {{"command", task.command},
                   {"on", task_target_name(task.on)},
                   {"hosts", task.all_hosts ? "all" : "one"}};
  }
  out["tasks"] = tasks;
  json secrets = json::object();
  for (const auto& [name, ref] : app.secrets) secrets[name] = secret_source_json(ref);
  out["secrets"] = secrets;
  out["updated_at"] = view.state.updated_at;
  return out;
}

json operation_json(const storage::operation_record& op) {
  return {{"id", op.id},
          {"app", op.app},
          {"kind", to_string(op.kind)},
          {"state", to_string(op.state)},
          {"colour", optional_json(op.colour)},
          {"ref", optional_json(op.ref)},
          {"sha", optional_json(op.sha)},
          {"task", optional_json(op.task)},
          {"actor", op.actor},
          {"channel", op.channel},
          {"error", optional_json(op.error)},
          {"error_code", optional_json(op.error_code)},
          {"created_at", op.created_at},
          {"started_at", optional_json(op.started_at)},
          {"finished_at", optional_json(op.finished_at)},
          {"links", {{"self", "/api/v1/deployments/" + std::to_string(op.id)},
                     {"log", "/api/v1/deployments/" + std::to_string(op.id) + "/log"}}}};
}

json log_line_json(const storage::log_line& line) {
  return {{"id", line.id},
          {"at", line.at},
          {"host", optional_json(line.host)},
          {"stream", line.stream},
          {"text", line.text}};
}

json audit_event_json(const storage::audit_event& e) {
  return {{"id", e.id},
          {"at", e.at},
          {"actor", e.actor},
          {"channel", e.channel},
          {"action", e.action},
          {"app", optional_json(e.app)},
          {"operation_id", optional_json(e.operation_id)},
          {"detail", optional_json(e.detail)}};
}

}  // namespace bluegreen::api
