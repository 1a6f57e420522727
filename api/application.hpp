// application turns a request into a response: it checks the target,
// authenticates the bearer token, finds the route, checks the token's scope
// and calls the handler. Handlers are thin adapters over the engine. No
// sockets here: the server feeds it plain requests.
//
// Thread-safety: call on the io_context thread that owns the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/http_message.hpp"
#include "api/router.hpp"

namespace bluegreen::engine {
class engine;
}
namespace bluegreen::daemon {
class token_service;
}

namespace bluegreen::api {

class application {
 public:
  application(engine::engine& engine, daemon::token_service& tokens);

  boost::asio::awaitable<response> handle(const request& req);

 private:
  void add_routes();

  engine::engine& engine_;
  daemon::token_service& tokens_;
  router router_;
  // The body of GET /api/v1/apps as last rendered, and the engine's
  // apps_version() it shows: rendered again only when that changes.
  std::optional<std::uint64_t> apps_version_;
  std::string apps_body_;
};

}  // namespace bluegreen::api
