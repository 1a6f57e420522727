#include <nlohmann/json.hpp>

#include "api/error_response.hpp"
#include "api/event_stream.hpp"
#include "api/json_views.hpp"
#include "api/request_bodies.hpp"
#include "api/responses.hpp"
#include "api/routes.hpp"
#include "daemon/engine/engine.hpp"

namespace bluegreen::api {

using nlohmann::json;
namespace asio = boost::asio;

void add_event_routes(router& r, engine::engine& engine, event_stream_options stream) {
  using daemon::scope;

  r.add(route_spec({"GET"}, "/api/v1/events").bearer(scope::read),
        [&engine](const request&, const call_context& ctx) -> asio::awaitable<response> {
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
          for (const auto& e : engine.events(static_cast<int>(*limit), before, app))
            events.push_back(audit_event_json(e));
          co_return json_response(200, {{"events", events}});
        });

  r.add(route_spec({"GET"}, "/api/v1/events/stream").bearer(scope::read),
        event_stream_handler(engine, stream));
}

}  // namespace bluegreen::api
