// The API's routes by resource, each registered with its policy (methods,
// auth, body limit). Handlers are thin adapters: they read the request
// (api/request_bodies, api/responses), call the engine and render its answer
// (api/json_views). application::add_routes() registers them all.
//
// Thread-safety: register on one thread; handlers run on the io_context
// thread that owns the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/event_stream.hpp"
#include "api/request_auth.hpp"
#include "api/router.hpp"

namespace bluegreen::engine {
class engine;
}
namespace bluegreen::daemon {
struct config;
class session_service;
}  // namespace bluegreen::daemon

namespace bluegreen::api {

// The body of GET /api/v1/apps as last rendered, and the engine's
// apps_version() it shows: rendered again only when that changes.
struct apps_listing {
  std::optional<std::uint64_t> version;
  std::string body;
};

// /healthz and the dashboard's embedded files: no token.
void add_public_routes(router& r);
// /api/v1/apps...: views, locks, deployments, switch, rollback, tasks.
void add_app_routes(router& r, engine::engine& engine, apps_listing& listing);
// /api/v1/deployments/{id}...: an operation, its cancel and its log.
void add_operation_routes(router& r, engine::engine& engine);
// /api/v1/events: the audit log; /api/v1/events/stream: the event stream.
void add_event_routes(router& r, engine::engine& engine, event_stream_options stream = {});
// /api/v1/session: the dashboard's sign-in (POST), who is signed in (GET)
// and sign-out (DELETE).
void add_session_routes(router& r, engine::engine& engine, daemon::token_service& tokens,
                        daemon::session_service& sessions);

// Where browsers reach the daemon (server.public_url), for the session
// cookie's Secure attribute and the Origin check.
site_policy site_policy_of(const daemon::config& cfg);

}  // namespace bluegreen::api
