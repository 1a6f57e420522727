#include <nlohmann/json.hpp>

#include "api/error_response.hpp"
#include "api/json_views.hpp"
#include "api/log_stream.hpp"
#include "api/request_bodies.hpp"
#include "api/responses.hpp"
#include "api/routes.hpp"
#include "daemon/engine/engine.hpp"

namespace bluegreen::api {

using nlohmann::json;
namespace asio = boost::asio;

void add_operation_routes(router& r, engine::engine& engine) {
  using daemon::scope;

  r.add(route_spec({"GET"}, "/api/v1/deployments/{id}").bearer(scope::read),
        [&engine](const request&, const call_context& ctx) -> asio::awaitable<response> {
          response error;
          auto id = id_param(ctx, error);
          if (!id) co_return error;
          auto op = engine.operation(*id);
          if (!op)
            co_return error_response(404, "unknown_operation",
                                     "no operation #" + std::to_string(*id));
          co_return json_response(200, {{"operation", operation_json(*op)}});
        });

  r.add(route_spec({"POST"}, "/api/v1/deployments/{id}/cancel").bearer(scope::deploy),
        [&engine](const request& req, const call_context& ctx) -> asio::awaitable<response> {
          response error;
          if (!object_body(req, {}, error)) co_return error;
          auto id = id_param(ctx, error);
          if (!id) co_return error;
          auto cancelled = engine.cancel(*id, {ctx.actor, ctx.channel});
          if (!cancelled) co_return failure_response(cancelled.error());
          co_return accepted(cancelled.value());
        });

  r.add(route_spec({"GET"}, "/api/v1/deployments/{id}/log").bearer(scope::read),
        [&engine](const request& req, const call_context& ctx) -> asio::awaitable<response> {
          response error;
          auto id = id_param(ctx, error);
          if (!id) co_return error;
          if (!engine.operation(*id))
            co_return error_response(404, "unknown_operation",
                                     "no operation #" + std::to_string(*id));
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
            for (const auto& l : engine.log(*id, *after, static_cast<int>(*limit)))
              lines.push_back(log_line_json(l));
            co_return json_response(200, {{"lines", lines}});
          }
          // Server-Sent Events: every line as it is written, then "end".
          response r;
          r.content_type = "text/event-stream";
          r.headers.emplace_back("X-Accel-Buffering", "no");
          r.stream = log_stream(engine, *id, *after, ctx.still_allowed);
          co_return r;
        });
}

}  // namespace bluegreen::api
