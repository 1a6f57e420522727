// The dashboard's sign-in: a token's secret is exchanged once for a session
// held in an HttpOnly cookie, so no page script ever holds a credential.
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "api/error_response.hpp"
#include "api/origin_check.hpp"
#include "api/request_auth.hpp"
#include "api/request_bodies.hpp"
#include "api/responses.hpp"
#include "api/routes.hpp"
#include "api/session_cookie.hpp"
#include "daemon/config.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/session_service.hpp"

namespace bluegreen::api {

using nlohmann::json;
namespace asio = boost::asio;

namespace {

// A sign-in body holds one token; a few KiB is plenty.
constexpr std::size_t kSignInBodyLimit = 4 * 1024;

json session_json(const std::string& name, daemon::scope granted,
                  const std::optional<std::string>& expires_at) {
  return {{"session",
           {{"name", name},
            {"scope", std::string(daemon::to_string(granted))},
            {"expires_at", expires_at ? json(*expires_at) : json(nullptr)}}}};
}

// A metrics token opens no dashboard session and learns nothing of one.
response metrics_only_refusal() {
  return error_response(403, "forbidden",
                        "this token has scope 'metrics', which may only read /metrics: sign in "
                        "with a token of scope read or higher");
}

}  // namespace

site_policy site_policy_of(const daemon::config& cfg) {
  site_policy site;
  if (auto origin = origin_of_url(cfg.server.public_url)) {
    site.public_origin = *origin;
    site.secure_cookie = origin->starts_with("https://");
  }
  return site;
}

void add_session_routes(router& r, engine::engine& engine, daemon::token_service& tokens,
                        daemon::session_service& sessions) {
  using daemon::scope;

  // Public: this is how a browser gets its credential. A sign-in another
  // site starts is refused too, so no page can sign a browser in as someone
  // else.
  r.add(route_spec({"POST"}, "/api/v1/session").public_access().max_body_bytes(kSignInBodyLimit),
        [&engine, &tokens, &sessions](const request& req,
                                      const call_context&) -> asio::awaitable<response> {
          auto cfg = engine.current_config();
          site_policy site = site_policy_of(*cfg);
          if (auto refused = cross_site_refusal(req, site.public_origin, false))
            co_return error_response(*refused);
          response error;
          auto body = object_body(req, {"token"}, error);
          if (!body) co_return error;
          auto token = body->find("token");
          if (token == body->end() || !token->is_string() || token->get<std::string>().empty())
            co_return error_response(
                400, "invalid_field",
                "send {\"token\": \"bgt_...\"}: the secret of an API token, as "
                "'bluegreend token create' printed it");
          auto ttl = std::chrono::duration_cast<std::chrono::seconds>(cfg->server.session_ttl);
          if (auto known = tokens.verify(token->get<std::string>());
              known && !daemon::grants(known->granted, scope::read))
            co_return metrics_only_refusal();
          auto opened = sessions.open(token->get<std::string>(), ttl);
          if (!opened)
            co_return error_response(
                401, "unauthorized",
                "this API token is not valid (unknown or revoked): check that you pasted all of "
                "it, or ask an operator to create one with 'bluegreend token create NAME --scope "
                "deploy' (or --scope read to only watch)");
          spdlog::info("dashboard sign-in with token {} (scope {}), until {}",
                       opened->info.token.name, daemon::to_string(opened->info.token.granted),
                       opened->info.expires_at);
          auto out =
              json_response(200, session_json(opened->info.token.name, opened->info.token.granted,
                                              opened->info.expires_at));
          out.headers.emplace_back("Set-Cookie",
                                   session_set_cookie(opened->value, ttl, site.secure_cookie));
          co_return out;
        });

  // Who the caller is: the dashboard asks on every load, with its cookie, to
  // know whether to sign in and which actions its scope allows. Public,
  // because "nobody" is an answer here, not an error: a signed-out browser
  // gets {"session": null} (a 401 would be an error in every signed-out
  // page's console). A bearer token that is not valid still gets its 401.
  r.add(route_spec({"GET"}, "/api/v1/session").public_access(),
        [&engine, &tokens, &sessions](const request& req,
                                      const call_context&) -> asio::awaitable<response> {
          response refused;
          auto who = authenticate(req, tokens, sessions, site_policy_of(*engine.current_config()),
                                  scope::read, refused);
          if (who && !daemon::grants(who->token.granted, scope::read))
            co_return metrics_only_refusal();
          if (who)
            co_return json_response(
                200, session_json(who->token.name, who->token.granted, who->session_expires_at));
          if (req.header("authorization")) co_return refused;
          auto out = json_response(200, json{{"session", nullptr}});
          // An ended session's cookie is cleared, as the refusal would have.
          for (const auto& h : refused.headers)
            if (h.first == "Set-Cookie") out.headers.push_back(h);
          co_return out;
        });

  // Public, so that a browser whose session has already ended still gets
  // its cookie cleared.
  r.add(route_spec({"DELETE"}, "/api/v1/session").public_access(),
        [&engine, &sessions](const request& req, const call_context&) -> asio::awaitable<response> {
          site_policy site = site_policy_of(*engine.current_config());
          const std::string* cookie = req.header("cookie");
          auto values = cookie ? session_cookie_values(*cookie) : std::vector<std::string>{};
          if (!values.empty()) {
            if (auto refused = cross_site_refusal(req, site.public_origin, true))
              co_return error_response(*refused);
            for (const auto& value : values) sessions.end(value);
          }
          response out;
          out.status = 204;
          out.content_type.clear();
          out.headers.emplace_back("Set-Cookie", cleared_session_cookie(site.secure_cookie));
          co_return out;
        });
}

}  // namespace bluegreen::api
