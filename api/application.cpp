#include "api/application.hpp"

#include <nlohmann/json.hpp>

#include <exception>

#include "api/error_response.hpp"
#include "api/json_views.hpp"
#include "api/target.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/token_service.hpp"

namespace bluegreen::api {

namespace {

using nlohmann::json;

response json_response(int status, const json& body) {
  response r;
  r.status = status;
  r.body = body.dump() + "\n";
  return r;
}

int status_of(engine::failure::kind kind) {
  switch (kind) {
    case engine::failure::kind::invalid: return 400;
    case engine::failure::kind::not_found: return 404;
    case engine::failure::kind::conflict: return 409;
    case engine::failure::kind::unsupported: return 422;
    default: return 500;
  }
}

response failure_response(const engine::failure& f) {
  return error_response(status_of(f.what), f.code, f.message);
}

// Parses a JSON object body. An empty body is an empty object.
std::optional<json> object_body(const request& req, response& error) {
  if (req.body.empty()) return json::object();
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    error = error_response(400, "invalid_json",
                           "the request body is not valid JSON; send an object such as "
                           "{\"reason\": \"release freeze\"}");
    return std::nullopt;
  }
  if (!body.is_object()) {
    error = error_response(400, "invalid_json", "the request body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

// Reads a non-negative integer query parameter within [min, max].
std::optional<std::int64_t> int_param(const call_context& ctx, const std::string& name,
                                      std::int64_t fallback, std::int64_t min, std::int64_t max,
                                      response& error) {
  auto it = ctx.query.find(name);
  if (it == ctx.query.end()) return fallback;
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

}  // namespace

application::application(engine::engine& engine, daemon::token_service& tokens)
    : engine_(engine), tokens_(tokens) {
  add_routes();
}

void application::add_routes() {
  using daemon::scope;

  router_.add("GET", "/healthz", std::nullopt, [](const request&, const call_context&) {
    return json_response(200, {{"status", "ok"}, {"version", BLUEGREEN_VERSION}});
  });

  router_.add("GET", "/api/v1/apps", scope::read, [this](const request&, const call_context&) {
    json apps = json::array();
    for (const auto& view : engine_.apps()) apps.push_back(app_summary_json(view));
    return json_response(200, {{"apps", apps}});
  });

  router_.add("GET", "/api/v1/apps/{app}", scope::read,
              [this](const request&, const call_context& ctx) {
                const std::string& name = ctx.params.at("app");
                auto view = engine_.app(name);
                if (!view)
                  return error_response(404, "unknown_app",
                                        "no app named \"" + name + "\" in the configuration");
                return json_response(200, app_detail_json(*view));
              });

  router_.add("GET", "/api/v1/events", scope::read,
              [this](const request&, const call_context& ctx) {
                response error;
                auto limit = int_param(ctx, "limit", 100, 1, 1000, error);
                if (!limit) return error;
                std::optional<std::int64_t> before;
                if (ctx.query.count("before")) {
                  before = int_param(ctx, "before", 0, 1, INT64_MAX / 16, error);
                  if (!before) return error;
                }
                std::optional<std::string_view> app;
                if (auto it = ctx.query.find("app"); it != ctx.query.end()) app = it->second;
                json events = json::array();
                for (const auto& e : engine_.events(static_cast<int>(*limit), before, app))
                  events.push_back(audit_event_json(e));
                return json_response(200, {{"events", events}});
              });

  router_.add("POST", "/api/v1/apps/{app}/lock", scope::deploy,
              [this](const request& req, const call_context& ctx) {
                response error;
                auto body = object_body(req, error);
                if (!body) return error;
                auto reason = body->find("reason");
                if (reason == body->end() || !reason->is_string())
                  return error_response(400, "invalid_reason",
                                        "send {\"reason\": \"...\"}: a lock needs a reason");
                auto locked = engine_.lock(ctx.params.at("app"), reason->get<std::string>(),
                                           {ctx.actor, "api"});
                if (!locked) return failure_response(locked.error());
                return json_response(201, {{"app", ctx.params.at("app")},
                                           {"lock", lock_json(locked.value())}});
              });

  router_.add("DELETE", "/api/v1/apps/{app}/lock", scope::deploy,
              [this](const request&, const call_context& ctx) {
                auto unlocked = engine_.unlock(ctx.params.at("app"), {ctx.actor, "api"});
                if (!unlocked) return failure_response(unlocked.error());
                return json_response(200, {{"app", ctx.params.at("app")},
                                           {"unlocked", lock_json(unlocked.value())}});
              });
}

response application::handle(const request& req) {
  std::string target_error;
  auto target = parse_target(req.target, target_error);
  if (!target) return error_response(400, "bad_path", target_error);

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
      return r;
    }
    token = tokens_.verify(std::string_view(*auth).substr(kBearer.size()));
    if (!token) {
      auto r = error_response(401, "unauthorized",
                              "the API token is not valid (unknown or revoked)");
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return r;
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
      return r;
    }
    return error_response(404, "not_found", "no route for " + target->path);
  }
  if (match.found->needs) {
    if (!token) return error_response(401, "unauthorized", "this route needs an API token");
    if (!daemon::grants(token->granted, *match.found->needs)) {
      return error_response(
          403, "forbidden",
          "this token has scope '" + std::string(daemon::to_string(token->granted)) +
              "' but " + req.method + " " + target->path + " needs '" +
              std::string(daemon::to_string(*match.found->needs)) + "'");
    }
  }
  ctx.params = std::move(match.params);
  try {
    return match.found->handle(req, ctx);
  } catch (const std::exception& e) {
    auto r = error_response(500, "internal", "the daemon failed to handle the request; see its log");
    r.log_note = e.what();
    return r;
  }
}

}  // namespace bluegreen::api
