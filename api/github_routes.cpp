#include "api/github_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "api/application.hpp"
#include "api/error_response.hpp"
#include "api/github_push.hpp"
#include "api/hmac_signature.hpp"
#include "api/json_views.hpp"
#include "api/responses.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/engine/task_group.hpp"
#include "daemon/hook_secrets.hpp"
#include "daemon/one_line_text.hpp"
#include "daemon/utc_time.hpp"
#include "storage/delivery_repository.hpp"

namespace bluegreen::api {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kSource = "github";

// GitHub's delivery ids are GUIDs; anything this plain is kept as sent.
bool is_delivery_id(std::string_view id) {
  if (id.empty() || id.size() > 100) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  return true;
}

// Who the audit log names: the pusher and the delivery, so that an
// operation can be traced back to GitHub's "Recent Deliveries".
engine::actor actor_of(const github_push& push, const std::string& delivery) {
  std::string pusher = push.pusher.empty() ? "unknown pusher" : push.pusher;
  return {daemon::one_line_name(pusher, 100) + " (GitHub delivery " + delivery + ")", "github"};
}

// The deploys of one push: answered by the engine, or still waited for.
struct push_run {
  push_run(asio::any_io_executor ex, std::size_t apps) : answered(ex), outcomes(apps) {}
  asio::steady_timer answered;  // cancelled when the last deploy is answered
  std::size_t waiting = 0;
  std::vector<std::optional<engine::result<storage::operation_record>>> outcomes;
};

asio::awaitable<void> deploy_pushed(engine::engine& engine, std::shared_ptr<push_run> run,
                                    std::size_t index, std::string app, std::string sha,
                                    engine::actor who) {
  engine::deploy_request req{sha, false};
  auto started = co_await engine.deploy(app, req, who);
  if (started) {
    spdlog::info("{}: deploying {} of {} as operation #{}", who.name, sha, app, started->id);
  } else {
    const auto& why = started.error();
    // Refusals happen before any operation exists: only this records them.
    engine.record(who, "github.push.refused", app,
                  "deploy of " + sha + " refused (" + why.code + "): " + why.message);
    spdlog::warn("{}: deploy of {} to {} refused ({}): {}", who.name, sha, app, why.code,
                 why.message);
  }
  run->outcomes[index] = std::move(started);
  if (--run->waiting == 0) run->answered.cancel();
}

class github_hook {
 public:
  github_hook(engine::engine& engine, storage::database& db, const daemon::hook_secrets& secrets,
              engine::task_group& tasks, github_route_options options)
      : engine_(engine), db_(db), secrets_(secrets), tasks_(tasks), options_(options) {}

  std::optional<refusal> verify(const request& req) const {
    const auto& secret = secrets_.github_secret();
    if (!secret) {
      spdlog::warn("refused a GitHub delivery from {}: no [github] secret is configured",
                   req.remote);
      return refusal{503, "not_configured",
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
    std::optional<github_push> push;
    if (*event == "push") {
      auto parsed = parse_github_push(*payload);
      if (!parsed) co_return refused_payload(*delivery, parsed.error());
      push = std::move(*parsed);
    }

    // A push that came while the daemon stops deploys nothing, and is not
    // remembered: its redelivery, once the daemon is back, deploys.
    if (push && tasks_.stopping()) {
      spdlog::warn("GitHub delivery {}: refused, the daemon is stopping", *delivery);
      co_return error_response(503, "stopping",
                               "the daemon is stopping; redeliver this delivery once it is back");
    }
    if (!remember(*delivery)) {
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
    co_return co_await deploy(*delivery, *push);
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

  // False when the delivery was already handled (also before a restart).
  bool remember(const std::string& delivery) {
    auto now = std::chrono::system_clock::now();
    std::string now_text = daemon::utc_text(now);
    storage::delivery_repository deliveries(db_);
    auto steady = std::chrono::steady_clock::now();
    if (!pruned_at_ || steady - *pruned_at_ >= options_.prune_every) {
      pruned_at_ = steady;
      if (auto removed = deliveries.remove_expired(now_text))
        spdlog::debug("forgot {} GitHub deliveries past their time", removed);
    }
    return deliveries.remember(kSource, delivery, now_text,
                               daemon::utc_text(now + options_.keep_deliveries));
  }

  asio::awaitable<response> deploy(std::string delivery, github_push push) {
    push_plan plan = plan_push(push, *engine_.current_config());
    if (plan.apps.empty()) co_return ignored(delivery, plan.ignored);

    engine::actor who = actor_of(push, delivery);
    auto executor = co_await asio::this_coro::executor;
    auto run = std::make_shared<push_run>(executor, plan.apps.size());
    std::vector<bool> spawned(plan.apps.size(), false);
    for (std::size_t i = 0; i < plan.apps.size(); ++i) {
      spawned[i] = tasks_.spawn("GitHub delivery " + delivery + ": deploy of " + plan.apps[i],
                                deploy_pushed(engine_, run, i, plan.apps[i], push.after, who),
                                engine::task_group::on_stop::finish);
      if (spawned[i]) ++run->waiting;
    }
    // GitHub gives up after 10 s; the engine reads the load balancer
    // before it accepts, which may take a while. What is not answered
    // by then goes on, and its outcome reaches the audit log.
    run->answered.expires_after(options_.answer_within);
    if (run->waiting > 0) co_await run->answered.async_wait(use_tuple);

    json deployments = json::array();
    json refused = json::array();
    json pending = json::array();
    for (std::size_t i = 0; i < plan.apps.size(); ++i) {
      const std::string& app = plan.apps[i];
      const auto& outcome = run->outcomes[i];
      if (!spawned[i]) {
        refused.push_back({{"app", app},
                           {"code", "stopping"},
                           {"message", "the daemon is stopping; redeliver once it is back"}});
      } else if (!outcome) {
        pending.push_back(app);
      } else if (*outcome) {
        deployments.push_back({{"app", app}, {"operation", operation_json(outcome->value())}});
      } else {
        refused.push_back(
            {{"app", app}, {"code", outcome->error().code}, {"message", outcome->error().message}});
      }
    }
    json body = {{"delivery", delivery},
                 {"sha", push.after},
                 {"deployments", deployments},
                 {"pending", pending},
                 {"refused", refused}};
    if (deployments.empty() && pending.empty()) {
      std::string message = "the push to " + push.ref + " deploys nothing:";
      for (const auto& r : refused)
        message += " " + r["app"].get<std::string>() + ": " + r["message"].get<std::string>();
      body["error"] = {{"code", refused.size() == 1 ? refused[0]["code"] : json("refused")},
                       {"message", message}};
      co_return json_response(409, body);
    }
    if (!pending.empty())
      body["message"] =
          "accepted; the deploy goes on, and its outcome is in the audit log "
          "(GET /api/v1/events)";
    co_return json_response(202, body);
  }

  engine::engine& engine_;
  storage::database& db_;
  const daemon::hook_secrets& secrets_;
  engine::task_group& tasks_;
  github_route_options options_;
  std::optional<std::chrono::steady_clock::time_point> pruned_at_;
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
