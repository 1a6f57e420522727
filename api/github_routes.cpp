#include "api/github_routes.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "api/application.hpp"
#include "api/error_response.hpp"
#include "api/github_push.hpp"
#include "api/hmac_signature.hpp"
#include "api/json_views.hpp"
#include "api/responses.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/github/github_service.hpp"
#include "daemon/hook_secrets.hpp"
#include "daemon/one_line_text.hpp"

namespace bluegreen::api {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// GitHub's delivery ids are GUIDs; anything this plain is kept as sent.
bool is_delivery_id(std::string_view id) {
  if (id.empty() || id.size() > 100) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  return true;
}

class github_hook {
 public:
  github_hook(engine::engine& engine, storage::database& db, const daemon::hook_secrets& secrets,
              engine::task_group& tasks, const github_route_options& options)
      : engine_(engine),
        secrets_(secrets),
        service_(engine, db, tasks,
                 {.answer_within = options.answer_within,
                  .keep_deliveries = options.keep_deliveries,
                  .prune_every = options.prune_every}) {}

  std::optional<refusal> verify(const request& req) const {
    const auto& secret = secrets_.github_secret();
    if (!secret) {
      bool configured = engine_.current_config()->github.secret.has_value();
      spdlog::warn("refused a GitHub delivery from {}: {}", req.remote,
                   configured ? "the [github] secret could not be read"
                              : "no [github] secret is configured");
      if (configured)
        return refusal{503, "secret_unavailable",
                       "the GitHub webhook is configured, but the daemon could not read its "
                       "[github] secret; its log says where it looked. Fix the file, then "
                       "reload the daemon"};
      return refusal{404, "not_configured",
                     "the GitHub webhook is not configured on this daemon: its operator must "
                     "set [github] secret = { file = \"...\" } (or a systemd credential) to "
                     "the webhook's secret, then reload"};
    }
    auto refused = check_hmac_sha256(*secret, req.body, req.header("x-hub-signature-256"));
    if (refused)
      spdlog::warn("refused a GitHub delivery {} from {}: {}", delivery_for_log(req), req.remote,
                   refused->message);
    return refused;
  }

  asio::awaitable<response> handle(const request& req) {
    const std::string* delivery = req.header("x-github-delivery");
    if (!delivery || !is_delivery_id(*delivery))
      co_return error_response(
          400, "invalid_delivery",
          std::string(delivery ? "malformed" : "missing") +
              " X-GitHub-Delivery header: send the delivery's id (a GUID), which GitHub sends "
              "with every delivery and uses again when it redelivers");
    const std::string* event = req.header("x-github-event");
    if (!event || event->empty())
      co_return error_response(400, "invalid_event",
                               "missing X-GitHub-Event header: send the event's name, such as "
                               "push or ping, as GitHub does");
    if (*event != "push" && *event != "ping")
      co_return ignored(*delivery, "event '" + *event +
                                       "' is not acted on: only push deploys (and ping is "
                                       "answered); the webhook needs only the push event");

    const std::string* content_type = req.header("content-type");
    auto payload = github_payload(content_type ? *content_type : "", req.body);
    if (!payload) co_return refused_payload(*delivery, payload.error());
    std::optional<github::push> push;
    if (*event == "push") {
      auto parsed = parse_github_push(*payload);
      if (!parsed) co_return refused_payload(*delivery, parsed.error());
      push = std::move(*parsed);
    }

    // A push that came while the daemon stops deploys nothing, and is not
    // remembered: its redelivery, once the daemon is back, deploys.
    if (push && service_.stopping()) {
      spdlog::warn("GitHub delivery {}: refused, the daemon is stopping", *delivery);
      co_return error_response(503, "stopping",
                               "the daemon is stopping; redeliver this delivery once it is back");
    }
    if (!service_.remember(*delivery)) {
      spdlog::info("GitHub delivery {} ({}) was already handled: nothing done", *delivery, *event);
      co_return json_response(
          200, {{"delivery", *delivery},
                {"already_handled", true},
                {"message",
                 "delivery " + *delivery + " was already handled; a redelivery does nothing"}});
    }
    if (!push) {
      spdlog::info("GitHub delivery {}: ping", *delivery);
      co_return json_response(
          200, {{"delivery", *delivery},
                {"ok", true},
                {"message", "pong: the webhook reaches bluegreend and its signature is right"}});
    }
    std::string sha = push->after;
    std::string ref = push->ref;
    auto outcome = co_await service_.deploy(*delivery, std::move(*push));
    if (outcome.deploys.empty()) co_return ignored(*delivery, outcome.ignored);
    co_return answer(*delivery, sha, ref, outcome);
  }

 private:
  static std::string delivery_for_log(const request& req) {
    const std::string* delivery = req.header("x-github-delivery");
    return delivery ? daemon::escape_one_line(*delivery) : "(without X-GitHub-Delivery)";
  }

  static response ignored(const std::string& delivery, const std::string& why) {
    spdlog::info("GitHub delivery {} ignored: {}", delivery, daemon::escape_one_line(why));
    return json_response(200, {{"delivery", delivery}, {"ignored", why}});
  }

  static response refused_payload(const std::string& delivery, const daemon::failure& why) {
    spdlog::warn("GitHub delivery {} refused: {}", delivery, daemon::escape_one_line(why.message));
    int status = why.code == "unsupported_content_type" ? 415 : status_of(why.what);
    return error_response(status, why.code, why.message);
  }

  static response answer(const std::string& delivery, const std::string& sha,
                         const std::string& ref, const github::push_outcome& outcome) {
    using state = github::deploy_outcome::state;
    json deployments = json::array();
    json refused = json::array();
    json pending = json::array();
    for (const auto& d : outcome.deploys) {
      if (d.what == state::pending)
        pending.push_back(d.app);
      else if (d.what == state::started)
        deployments.push_back({{"app", d.app}, {"operation", operation_json(*d.operation)}});
      else
        refused.push_back({{"app", d.app}, {"code", d.code}, {"message", d.message}});
    }
    json body = {{"delivery", delivery},
                 {"sha", sha},
                 {"deployments", deployments},
                 {"pending", pending},
                 {"refused", refused}};
    if (deployments.empty() && pending.empty()) {
      std::string message = "the push to " + ref + " deploys nothing:";
      for (const auto& r : refused)
        message += " " + r["app"].get<std::string>() + ": " + r["message"].get<std::string>();
      body["error"] = {{"code", refused.size() == 1 ? refused[0]["code"] : json("refused")},
                       {"message", message}};
      return json_response(409, body);
    }
    if (!pending.empty())
      body["message"] =
          "accepted; the deploy goes on, and its outcome is in the audit log "
          "(GET /api/v1/events)";
    return json_response(202, body);
  }

  engine::engine& engine_;
  const daemon::hook_secrets& secrets_;
  github::github_service service_;
};

}  // namespace

void add_github_routes(application& app, engine::engine& engine, storage::database& db,
                       const daemon::hook_secrets& secrets, engine::task_group& tasks,
                       github_route_options options) {
  auto hook = std::make_shared<github_hook>(engine, db, secrets, tasks, options);
  app.add(route_spec({"POST"}, "/hooks/github")
              .verified_by([hook](const request& req) { return hook->verify(req); })
              .max_body_bytes(options.max_body_bytes),
          [hook](const request& req, const call_context&) { return hook->handle(req); });
}

}  // namespace bluegreen::api
