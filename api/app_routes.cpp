#include <nlohmann/json.hpp>

#include "api/error_response.hpp"
#include "api/json_views.hpp"
#include "api/request_bodies.hpp"
#include "api/responses.hpp"
#include "api/routes.hpp"
#include "daemon/engine/engine.hpp"

namespace bluegreen::api {

using nlohmann::json;
namespace asio = boost::asio;

void add_app_routes(router& r, engine::engine& engine, apps_listing& listing) {
  using daemon::scope;

  r.add(route_spec({"GET"}, "/api/v1/apps").bearer(scope::read),
        [&engine, &listing](const request&, const call_context&) -> asio::awaitable<response> {
          std::uint64_t version = engine.apps_version();
          if (listing.version != version) {
            json apps = json::array();
            for (const auto& view : engine.apps()) apps.push_back(app_summary_json(view));
            listing.body = json_response(200, {{"apps", apps}}).body;
            listing.version = version;
          }
          response r;
          r.status = 200;
          r.body = listing.body;
          co_return r;
        });

  r.add(route_spec({"GET"}, "/api/v1/apps/{app}").bearer(scope::read),
        [&engine](const request&, const call_context& ctx) -> asio::awaitable<response> {
          const std::string& name = ctx.params.at("app");
          auto view = engine.app(name);
          if (!view)
            co_return error_response(404, "unknown_app",
                                     "no app named \"" + name + "\" in the configuration");
          co_return json_response(200, app_detail_json(*view));
        });

  r.add(route_spec({"POST"}, "/api/v1/apps/{app}/lock").bearer(scope::deploy),
        [&engine](const request& req, const call_context& ctx) -> asio::awaitable<response> {
          response error;
          auto body = object_body(req, {"reason"}, error);
          if (!body) co_return error;
          auto reason = body->find("reason");
          if (reason == body->end() || !reason->is_string())
            co_return error_response(400, "invalid_reason",
                                     "send {\"reason\": \"...\"}: a lock needs a reason");
          auto locked = engine.lock(ctx.params.at("app"), reason->get<std::string>(),
                                    {ctx.actor, ctx.channel});
          if (!locked) co_return failure_response(locked.error());
          co_return json_response(
              201, {{"app", ctx.params.at("app")}, {"lock", lock_json(locked.value())}});
        });

  r.add(route_spec({"DELETE"}, "/api/v1/apps/{app}/lock").bearer(scope::deploy),
        [&engine](const request&, const call_context& ctx) -> asio::awaitable<response> {
          auto unlocked = engine.unlock(ctx.params.at("app"), {ctx.actor, ctx.channel});
          if (!unlocked) co_return failure_response(unlocked.error());
          co_return json_response(
              200, {{"app", ctx.params.at("app")}, {"unlocked", lock_json(unlocked.value())}});
        });

  r.add(route_spec({"GET"}, "/api/v1/apps/{app}/deployments").bearer(scope::read),
        [&engine](const request&, const call_context& ctx) -> asio::awaitable<response> {
          const std::string& name = ctx.params.at("app");
          if (!engine.app(name))
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
          for (const auto& op : engine.operations(name, static_cast<int>(*limit), before))
            ops.push_back(operation_json(op));
          co_return json_response(200, {{"operations", ops}});
        });

  r.add(route_spec({"POST"}, "/api/v1/apps/{app}/deployments").bearer(scope::deploy),
        [&engine](const request& req, const call_context& ctx) -> asio::awaitable<response> {
          response error;
          auto body = object_body(req, {"ref", "force"}, error);
          if (!body) co_return error;
          auto ref = body->find("ref");
          if (ref == body->end() || !ref->is_string())
            co_return error_response(
                400, "invalid_ref",
                "send {\"ref\": \"main\"}: the branch, tag or commit to deploy");
          auto force = optional_bool(*body, "force", error);
          if (!force) co_return error;
          // Named arguments: GCC 12 destroys some temporaries in a
          // co_await expression twice.
          std::string app = ctx.params.at("app");
          engine::deploy_request dr{ref->get<std::string>(), *force};
          engine::actor who{ctx.actor, ctx.channel};
          auto started = co_await engine.deploy(app, dr, who);
          if (!started) co_return failure_response(started.error());
          co_return accepted(started.value());
        });

  r.add(route_spec({"POST"}, "/api/v1/apps/{app}/switch").bearer(scope::deploy),
        [&engine](const request& req, const call_context& ctx) -> asio::awaitable<response> {
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
          engine::actor who{ctx.actor, ctx.channel};
          auto started = co_await engine.switch_traffic(app, sw, who);
          if (!started) co_return failure_response(started.error());
          co_return accepted(started.value());
        });

  r.add(route_spec({"POST"}, "/api/v1/apps/{app}/rollback").bearer(scope::deploy),
        [&engine](const request& req, const call_context& ctx) -> asio::awaitable<response> {
          response error;
          if (!object_body(req, {}, error)) co_return error;
          std::string app = ctx.params.at("app");
          engine::actor who{ctx.actor, ctx.channel};
          auto started = co_await engine.rollback(app, who);
          if (!started) co_return failure_response(started.error());
          co_return accepted(started.value());
        });

  r.add(route_spec({"POST"}, "/api/v1/apps/{app}/tasks/{task}").bearer(scope::deploy),
        [&engine](const request& req, const call_context& ctx) -> asio::awaitable<response> {
          response error;
          auto body = object_body(req, {"colour"}, error);
          if (!body) co_return error;
          auto on = optional_colour(*body, "colour", error);
          if (!on) co_return error;
          std::string app = ctx.params.at("app");
          std::string task = ctx.params.at("task");
          engine::task_request tr{*on};
          engine::actor who{ctx.actor, ctx.channel};
          auto started = co_await engine.run_task(app, task, tr, who);
          if (!started) co_return failure_response(started.error());
          co_return accepted(started.value());
        });
}

}  // namespace bluegreen::api
