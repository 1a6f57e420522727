// application turns a request into a response: it checks the target, finds
// the route, applies the route's auth (none, a bearer token of a scope, or a
// request verifier) and calls the handler. Wherever a bearer token is
// accepted, the dashboard's session cookie is too (api/request_auth). Every route states its policy
// where it is registered, in add_routes(). Under /api/, a path that names no
// route still needs a valid token first, so routes are not revealed to
// anyone without one. Handlers are thin adapters over the engine. No sockets
// here: the server feeds it plain requests.
//
// Thread-safety: call on the io_context thread that owns the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "api/http_message.hpp"
#include "api/request_counts.hpp"
#include "api/router.hpp"
#include "api/routes.hpp"

namespace bluegreen::engine {
class engine;
}
namespace bluegreen::daemon {
class token_service;
class session_service;
}

namespace bluegreen::api {

class application {
 public:
  application(engine::engine& engine, daemon::token_service& tokens,
              daemon::session_service& sessions);
  // An application with no route of its own, for a listener that serves only
  // what is add()ed to it (the open [metrics] listen address): a path that
  // names no route is 404 for everyone, under /api/ too. Its requests are
  // counted in `counts` (the main application's).
  struct bare_t {};
  static constexpr bare_t bare{};
  application(bare_t, engine::engine& engine, daemon::token_service& tokens,
              daemon::session_service& sessions, std::shared_ptr<request_counts> counts);

  boost::asio::awaitable<response> handle(const request& req);
  // The requests answered, by route pattern and status (for /metrics).
  const std::shared_ptr<request_counts>& requests() const { return requests_; }

  // The body limit of the route `head` goes to (nullopt: the server's
  // limit), for the server to apply while it reads the body.
  std::optional<std::size_t> body_limit(const request& head) const;

  // Registers another route after the built-in ones (e.g. a webhook).
  void add(route_spec spec, handler h) { router_.add(std::move(spec), std::move(h)); }
  // The routes registered so far, built-in ones first.
  const router& route_table() const { return router_; }

 private:
  void add_routes();
  // handle() without the counting; `route` becomes the pattern matched.
  boost::asio::awaitable<response> answer(const request& req, std::string& route);

  engine::engine& engine_;
  daemon::token_service& tokens_;
  daemon::session_service& sessions_;
  router router_;
  apps_listing apps_listing_;
  bool bare_ = false;
  std::shared_ptr<request_counts> requests_;
};

}  // namespace bluegreen::api
