#include <nlohmann/json.hpp>

#include "api/embedded_file.hpp"
#include "api/responses.hpp"
#include "api/routes.hpp"
#include "api/static_files.hpp"

namespace bluegreen::api {

namespace asio = boost::asio;

void add_public_routes(router& r) {
  r.add(route_spec({"GET"}, "/healthz").public_access(),
        [](const request&, const call_context&) -> asio::awaitable<response> {
          co_return json_response(200,
                                  nlohmann::json{{"status", "ok"}, {"version", BLUEGREEN_VERSION}});
        });

  // The dashboard's files, embedded in the binary. Public: the pages call
  // the API with the session cookie their sign-in got.
  r.add(route_spec({"GET"}, "/").public_access(),
        [](const request& req, const call_context&) -> asio::awaitable<response> {
          co_return static_file_response(embedded_files(), "index.html",
                                         req.header("if-none-match"));
        });
  r.add(route_spec({"GET"}, "/assets/{path...}").public_access(),
        [](const request& req, const call_context& ctx) -> asio::awaitable<response> {
          co_return static_file_response(embedded_files(), ctx.params.at("path"),
                                         req.header("if-none-match"));
        });
}

}  // namespace bluegreen::api
