#include "api/application.hpp"

#include <cstdint>
#include <exception>
#include <utility>

#include "api/error_response.hpp"
#include "api/request_auth.hpp"
#include "api/routes.hpp"
#include "api/target.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/token_service.hpp"
#include "storage/database.hpp"
#include "storage/error.hpp"

namespace bluegreen::api {

namespace asio = boost::asio;

application::application(engine::engine& engine, daemon::token_service& tokens,
                         daemon::session_service& sessions)
    : engine_(engine),
      tokens_(tokens),
      sessions_(sessions),
      requests_(std::make_shared<request_counts>()) {
  add_routes();
}

application::application(bare_t, engine::engine& engine, daemon::token_service& tokens,
                         daemon::session_service& sessions,
                         std::shared_ptr<request_counts> counts)
    : engine_(engine),
      tokens_(tokens),
      sessions_(sessions),
      bare_(true),
      requests_(std::move(counts)) {}

void application::add_routes() {
  add_public_routes(router_);
  add_app_routes(router_, engine_, apps_listing_);
  add_operation_routes(router_, engine_);
  add_event_routes(router_, engine_);
  add_session_routes(router_, engine_, tokens_, sessions_);
}

std::optional<std::size_t> application::body_limit(const request& head) const {
  auto target = parse_target(head.target);
  if (!target) return std::nullopt;
  route_match match = router_.match(head.method, target->segments);
  return match.found ? match.found->spec.max_body_bytes() : std::nullopt;
}

asio::awaitable<response> application::handle(const request& req) {
  std::string route(request_counts::kNoRoute);
  response answered = co_await answer(req, route);
  requests_->count(route, answered.status);
  co_return answered;
}

asio::awaitable<response> application::answer(const request& req, std::string& route) {
  auto target = parse_target(req.target);
  if (!target) co_return error_response(400, target.error().code, target.error().message);

  call_context ctx;
  ctx.query = target->query;
  route_match match = router_.match(req.method, target->segments);

  if (!match.found) {
    // Under /api/, only a valid token learns which paths exist.
    bool is_api = !bare_ && !target->segments.empty() && target->segments[0] == "api";
    if (is_api) {
      response refused;
      auto who = authenticate(req, tokens_, sessions_, site_policy_of(*engine_.current_config()),
                              daemon::scope::read, refused);
      if (!who) co_return refused;
      // A metrics token learns no more of the API than a stranger.
      if (!daemon::grants(who->token.granted, daemon::scope::read))
        co_return error_response(403, "forbidden",
                                 "this token has scope 'metrics', which may only read /metrics");
    }
    if (!match.allowed.empty()) {
      std::string allow;
      for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
      auto r =
          error_response(405, "method_not_allowed",
                         req.method + " is not allowed on " + target->path + "; allowed: " + allow);
      r.headers.emplace_back("Allow", allow);
      co_return r;
    }
    co_return error_response(404, "not_found", "no route for " + target->path);
  }

  route = match.found->spec.path();
  const route_auth& auth = match.found->spec.auth();
  if (auth.what == route_auth::kind::bearer) {
    response refused;
    auto who = authenticate(req, tokens_, sessions_, site_policy_of(*engine_.current_config()),
                            auth.needs, refused);
    if (!who) co_return refused;
    const daemon::token_info& token = who->token;
    if (!daemon::grants(token.granted, auth.needs)) {
      co_return error_response(403, "forbidden",
                               "this token has scope '" +
                                   std::string(daemon::to_string(token.granted)) + "' but " +
                                   req.method + " " + target->path + " needs '" +
                                   std::string(daemon::to_string(auth.needs)) + "'");
    }
    ctx.actor = token.name;
    ctx.channel = who->channel;
    ctx.granted = token.granted;
    ctx.session_expires_at = who->session_expires_at;
    ctx.still_allowed = std::move(who->still_allowed);
  } else if (auth.what == route_auth::kind::verifier) {
    if (auto refusal = auth.verify(req)) {
      co_return error_response(*refusal);
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
