#include "api/application.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <exception>

#include "api/error_response.hpp"
#include "api/event_stream.hpp"
#include "api/json_text.hpp"
#include "api/json_views.hpp"
#include "api/log_stream.hpp"
#include "api/request_bodies.hpp"
#include "api/target.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/token_service.hpp"
#include "storage/database.hpp"
#include "storage/error.hpp"

namespace bluegreen::api {

namespace {

using nlohmann::json;
namespace asio = boost::asio;

response json_response(int status, const json& body) {
  response r;
  r.status = status;
  r.body = json_text(body) + "\n";
  return r;
}

// An accepted asynchronous operation: 202 with where to follow it.
response accepted(const storage::operation_record& op) {
  response r = json_response(202, {{"operation", operation_json(op)}});
  r.headers.emplace_back("Location", "/api/v1/deployments/" + std::to_string(op.id));
  return r;
}

int status_of(engine::failure::kind kind) {
  switch (kind) {
    case engine::failure::kind::invalid: return 400;
    case engine::failure::kind::not_found: return 404;
    case engine::failure::kind::conflict: return 409;
    case engine::failure::kind::unsupported: return 422;
    case engine::failure::kind::unavailable: return 503;
    default: return 500;
  }
}

response failure_response(const engine::failure& f) {
  auto r = error_response(status_of(f.what), f.code, f.message);
  // What is unavailable now (an app still recovering) is soon available.
  if (r.status == 503) r.headers.emplace_back("Retry-After", "5");
  return r;
}

// Reads an integer query parameter within [min, max].
std::optional<std::int64_t> int_param(const std::map<std::string, std::string>& query,
                                      const std::string& name, std::int64_t fallback,
                                      std::int64_t min, std::int64_t max, response& error) {
  auto it = query.find(name);
  if (it == query.end()) return fallback;
  const std::string& text = it->second;
  std::int64_t value = 0;
  bool ok = !text.empty() && text.size() <= 18;
  for (char c : text) {
    if (c < '0' || c > '9') ok = false;
    else value = value * 10 + (c - '0');
  }
  if (!ok || value < min || value > max) {
    error = error_response(400, "invalid_parameter",
                           "query parameter '" + name + "' must be an integer from " +
                               std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> id_param(const call_context& ctx, response& error) {
  const std::string& text = ctx.params.at("id");
  std::int64_t value = 0;
  bool ok = !text.empty() && text.size() <= 18;
  for (char c : text) {
    if (c < '0' || c > '9') ok = false;
    else value = value * 10 + (c - '0');
  }
  if (!ok) {
    error = error_response(404, "unknown_operation", "no operation \"" + text + "\"");
    return std::nullopt;
  }
  return value;
}

}  // namespace

application::application(engine::engine& engine, daemon::token_service& tokens)
    : engine_(engine), tokens_(tokens) {
  add_routes();
}

void application::add_routes() {
  using daemon::scope;

  router_.add("GET", "/healthz", std::nullopt,
              [](const request&, const call_context&) -> asio::awaitable<response> {
                co_return json_response(200, {{"status", "ok"}, {"version", BLUEGREEN_VERSION}});
              });

  router_.add("GET", "/api/v1/apps", scope::read,
              [this](const request&, const call_context&) -> asio::awaitable<response> {
                std::uint64_t version = engine_.apps_version();
                if (apps_version_ != version) {
                  json apps = json::array();
                  for (const auto& view : engine_.apps()) apps.push_back(app_summary_json(view));
                  apps_body_ = json_response(200, {{"apps", apps}}).body;
                  apps_version_ = version;
                }
                response r;
                r.status = 200;
                r.body = apps_body_;
                co_return r;
              });

  router_.add("GET", "/api/v1/apps/{app}", scope::read,
              [this](const request&, const call_context& ctx) -> asio::awaitable<response> {
                const std::string& name = ctx.params.at("app");
                auto view = engine_.app(name);
                if (!view)
                  co_return error_response(404, "unknown_app",
                                           "no app named \"" + name + "\" in the configuration");
                co_return json_response(200, app_detail_json(*view));
              });

  router_.add("GET", "/api/v1/events", scope::read,
              [this](const request&, const call_context& ctx) -> asio::awaitable<response> {
                response error;
                auto limit = int_param(ctx.query, "limit", 100, 1, 1000, error);
                if (!limit) co_return error;
                std::optional<std::int64_t> before;
                if (ctx.query.count("before")) {
                  before = int_param(ctx.query, "before", 0, 1, INT64_MAX / 16, error);
                  if (!before) co_return error;
                }
                std::optional<std::string_view> app;
                if (auto it = ctx.query.find("app"); it != ctx.query.end()) app = it->second;
                json events = json::array();
                for (const auto& e : engine_.events(static_cast<int>(*limit), before, app))
                  events.push_back(audit_event_json(e));
                co_return json_response(200, {{"events", events}});
              });

  router_.add("POST", "/api/v1/apps/{app}/lock", scope::deploy,
              [this](const request& req, const call_context& ctx) -> asio::awaitable<response> {
                response error;
                auto body = object_body(req, {"reason"}, error);
                if (!body) co_return error;
                auto reason = body->find("reason");
                if (reason == body->end() || !reason->is_string())
                  co_return error_response(400, "invalid_reason",
                                           "send {\"reason\": \"...\"}: a lock needs a reason");
                auto locked = engine_.lock(ctx.params.at("app"), reason->get<std::string>(),
                                           {ctx.actor, "api"});
                if (!locked) co_return failure_response(locked.error());
                co_return json_response(201, {{"app", ctx.params.at("app")},
                                              {"lock", lock_json(locked.value())}});
              });

  router_.add("DELETE", "/api/v1/apps/{app}/lock", scope::deploy,
              [this](const request&, const call_context& ctx) -> asio::awaitable<response> {
                auto unlocked = engine_.unlock(ctx.params.at("app"), {ctx.actor, "api"});
                if (!unlocked) co_return failure_response(unlocked.error());
                co_return json_response(200, {{"app", ctx.params.at("app")},
                                              {"unlocked", lock_json(unlocked.value())}});
              });

  router_.add("GET", "/api/v1/apps/{app}/deployments", scope::read,
              [this](const request&, const call_context& ctx) -> asio::awaitable<response> {
                const std::string& name = ctx.params.at("app");
                if (!engine_.app(name))
                  co_return error_response(404, "unknown_app",
                                           "no app named \"" + name + "\" in the configuration");
                response error;
                auto limit = int_param(ctx.query, "limit", 50, 1, 500, error);
                if (!limit) co_return error;
                std::optional<std::int64_t> before;
                if (ctx.query.count("before")) {
                  before = int_param(ctx.query, "before", 0, 1, INT64_MAX / 16, error);
                  if (!before) co_return error;
                }
                json ops = json::array();
                for (const auto& op : engine_.operations(name, static_cast<int>(*limit), before))
                  ops.push_back(operation_json(op));
                co_return json_response(200, {{"operations", ops}});
              });

  router_.add("POST", "/api/v1/apps/{app}/deployments", scope::deploy,
              [this](const request& req, const call_context& ctx) -> asio::awaitable<response> {
                response error;
                auto body = object_body(req, {"ref", "force"}, error);
                if (!body) co_return error;
                auto ref = body->find("ref");
                if (ref == body->end() || !ref->is_string())
                  co_return error_response(400, "invalid_ref",
                                           "send {\"ref\": \"main\"}: the branch, tag or commit to deploy");
                auto force = optional_bool(*body, "force", error);
                if (!force) co_return error;
                // Named arguments: GCC 12 destroys some temporaries in a
                // co_await expression twice.
                std::string app = ctx.params.at("app");
                engine::deploy_request dr{ref->get<std::string>(), *force};
                engine::actor who{ctx.actor, "api"};
                auto started = co_await engine_.deploy(app, dr, who);
                if (!started) co_return failure_response(started.error());
                co_return accepted(started.value());
              });

  router_.add("POST", "/api/v1/apps/{app}/switch", scope::deploy,
              [this](const request& req, const call_context& ctx) -> asio::awaitable<response> {
                response error;
                auto body = object_body(req, {"to", "weights", "force"}, error);
                if (!body) co_return error;
                engine::switch_request sw;
                auto to = optional_colour(*body, "to", error);
                if (!to) co_return error;
                sw.to = *to;
                if (auto w = body->find("weights"); w != body->end()) {
                  auto weights = parse_weights(*w, error);
                  if (!weights) co_return error;
                  sw.weights = *weights;
                }
                auto force = optional_bool(*body, "force", error);
                if (!force) co_return error;
                sw.force = *force;
                std::string app = ctx.params.at("app");
                engine::actor who{ctx.actor, "api"};
                auto started = co_await engine_.switch_traffic(app, sw, who);
                if (!started) co_return failure_response(started.error());
                co_return accepted(started.value());
              });

  router_.add("POST", "/api/v1/apps/{app}/rollback", scope::deploy,
              [this](const request& req, const call_context& ctx) -> asio::awaitable<response> {
                response error;
                if (!object_body(req, {}, error)) co_return error;
                std::string app = ctx.params.at("app");
                engine::actor who{ctx.actor, "api"};
                auto started = co_await engine_.rollback(app, who);
                if (!started) co_return failure_response(started.error());
                co_return accepted(started.value());
              });

  router_.add("POST", "/api/v1/apps/{app}/tasks/{task}", scope::deploy,
              [this](const request& req, const call_context& ctx) -> asio::awaitable<response> {
                response error;
                auto body = object_body(req, {"colour"}, error);
                if (!body) co_return error;
                auto on = optional_colour(*body, "colour", error);
                if (!on) co_return error;
                std::string app = ctx.params.at("app");
                std::string task = ctx.params.at("task");
                engine::task_request tr{*on};
                engine::actor who{ctx.actor, "api"};
                auto started = co_await engine_.run_task(app, task, tr, who);
                if (!started) co_return failure_response(started.error());
                co_return accepted(started.value());
              });

  router_.add("GET", "/api/v1/deployments/{id}", scope::read,
              [this](const request&, const call_context& ctx) -> asio::awaitable<response> {
                response error;
                auto id = id_param(ctx, error);
                if (!id) co_return error;
                auto op = engine_.operation(*id);
                if (!op)
                  co_return error_response(404, "unknown_operation",
                                           "no operation #" + std::to_string(*id));
                co_return json_response(200, {{"operation", operation_json(*op)}});
              });

  router_.add("POST", "/api/v1/deployments/{id}/cancel", scope::deploy,
              [this](const request& req, const call_context& ctx) -> asio::awaitable<response> {
                response error;
                if (!object_body(req, {}, error)) co_return error;
                auto id = id_param(ctx, error);
                if (!id) co_return error;
                auto cancelled = engine_.cancel(*id, {ctx.actor, "api"});
                if (!cancelled) co_return failure_response(cancelled.error());
                co_return accepted(cancelled.value());
              });

  router_.add(
      "GET", "/api/v1/deployments/{id}/log", scope::read,
      [this](const request& req, const call_context& ctx) -> asio::awaitable<response> {
        response error;
        auto id = id_param(ctx, error);
        if (!id) co_return error;
        if (!engine_.operation(*id))
          co_return error_response(404, "unknown_operation", "no operation #" + std::to_string(*id));
        auto after = int_param(ctx.query, "after", 0, 0, INT64_MAX / 16, error);
        if (!after) co_return error;
        if (const std::string* last = req.header("last-event-id")) {
          std::map<std::string, std::string> q{{"after", *last}};
          after = int_param(q, "after", 0, 0, INT64_MAX / 16, error);
          if (!after) co_return error;
        }
        auto follow = ctx.query.find("follow");
        if (follow == ctx.query.end() || follow->second == "0") {
          auto limit = int_param(ctx.query, "limit", 1000, 1, 10000, error);
          if (!limit) co_return error;
          json lines = json::array();
          for (const auto& l : engine_.log(*id, *after, static_cast<int>(*limit)))
            lines.push_back(log_line_json(l));
          co_return json_response(200, {{"lines", lines}});
        }
        // Server-Sent Events: every line as it is written, then "end".
        response r;
        r.content_type = "text/event-stream";
        r.headers.emplace_back("X-Accel-Buffering", "no");
        r.stream = log_stream(engine_, *id, *after);
        co_return r;
      });

  router_.add("GET", "/api/v1/events/stream", scope::read, event_stream_handler(engine_));
}

asio::awaitable<response> application::handle(const request& req) {
  std::string target_error;
  auto target = parse_target(req.target, target_error);
  if (!target) co_return error_response(400, "bad_path", target_error);

  call_context ctx;
  ctx.query = target->query;
  bool is_api = !target->segments.empty() && target->segments[0] == "api";

  std::optional<daemon::token_info> token;
  if (is_api) {
    const std::string* auth = req.header("authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (!auth || auth->size() <= kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), auth->begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      auto r = error_response(401, "unauthorized",
                              "send an API token as 'Authorization: Bearer <token>'; create one "
                              "with 'bluegreend token create NAME --scope read'");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      co_return r;
    }
    // The server joins repeated headers with ", ": two Authorization headers
    // would be two credentials, and which one counts must not be a guess.
    if (auth->find(',') != std::string::npos)
      co_return error_response(400, "bad_request",
                               "send exactly one Authorization header with one bearer token");
    token = tokens_.verify(std::string_view(*auth).substr(kBearer.size()));
    if (!token) {
      auto r = error_response(401, "unauthorized",
                              "the API token is not valid (unknown or revoked)");
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      co_return r;
    }
    ctx.actor = token->name;
  }

  route_match match = router_.match(req.method, target->segments);
  if (!match.found) {
    if (!match.allowed.empty()) {
      std::string allow;
      for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
      auto r = error_response(405, "method_not_allowed",
                              req.method + " is not allowed on " + target->path +
                                  "; allowed: " + allow);
      r.headers.emplace_back("Allow", allow);
      co_return r;
    }
    co_return error_response(404, "not_found", "no route for " + target->path);
  }
  if (match.found->needs) {
    if (!token) co_return error_response(401, "unauthorized", "this route needs an API token");
    if (!daemon::grants(token->granted, *match.found->needs)) {
      co_return error_response(
          403, "forbidden",
          "this token has scope '" + std::string(daemon::to_string(token->granted)) +
              "' but " + req.method + " " + target->path + " needs '" +
              std::string(daemon::to_string(*match.found->needs)) + "'");
    }
  }
  ctx.params = std::move(match.params);
  std::string failure;
  bool storage_full = false;
  try {
    co_return co_await match.found->handle(req, ctx);
  } catch (const storage::error& e) {
    failure = e.what();
    storage_full = storage::is_storage_full(e);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (storage_full) {
    auto r = error_response(
        507, "storage_full",
        "the daemon's state disk is full, so it cannot record changes; reads keep working. "
        "Ask the operator to free space on the file system that holds the state directory, "
        "then try again");
    r.log_note = "storage full: free space on the file system that holds " +
                 engine_.current_config()->server.state_dir.string() +
                 " (the state directory); until then changes are refused and reads work (" +
                 failure + ")";
    co_return r;
  }
  auto r = error_response(500, "internal", "the daemon failed to handle the request; see its log");
  r.log_note = failure;
  co_return r;
}

}  // namespace bluegreen::api
