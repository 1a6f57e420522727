#include "api/chat_routes.hpp"

#include "api/application.hpp"
#include "api/error_response.hpp"
#include "api/mattermost_token.hpp"
#include "api/slack_signature.hpp"
#include "api/target.hpp"
#include "daemon/chat/chat_service.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/hook_secrets.hpp"

namespace bluegreen::api {

namespace asio = boost::asio;

namespace {

// Slash command forms are a few hundred bytes.
constexpr std::size_t kMaxBody = 64 * 1024;

// Why a route cannot be used: not configured (404), or its secret could
// not be read (503).
refusal unavailable(bool configured, std::string_view what, std::string_view key) {
  if (!configured)
    return refusal{404, "not_configured",
                   std::string(what) + " are not configured on this daemon: its operator sets " +
                       std::string(key) +
                       " (a file or a systemd credential) in its configuration and reloads it"};
  return refusal{503, "secret_unavailable",
                 std::string(what) + " are configured, but the daemon could not read " +
                     std::string(key) +
                     "; its log says where it looked. Fix the file, then "
                     "reload the daemon"};
}

asio::awaitable<response> answer(chat::chat_service& chat, chat::platform from,
                                 const request& req) {
  auto form = parse_form(req.body, "the body (an application/x-www-form-urlencoded form)");
  if (!form) co_return error_response(400, "invalid_form", form.error().message);
  response r;
  if (from == chat::platform::slack && form_value(*form, "ssl_check") == "1") {
    // Slack checking the certificate: nothing to run.
    r.content_type = "text/plain";
    co_return r;
  }
  chat::slash_request slash;
  slash.platform = from;
  slash.from = {form_value(*form, "team_id"), form_value(*form, "user_id"),
                form_value(*form, "user_name")};
  slash.command = form_value(*form, "command");
  slash.text = form_value(*form, "text");
  slash.response_url = form_value(*form, "response_url");
  auto said = co_await chat.handle(slash);
  r.body = chat::reply_json(said, from);
  co_return r;
}

}  // namespace

void add_chat_routes(application& app, chat::chat_service& chat, engine::engine& engine,
                     const daemon::hook_secrets& secrets, storage::database& db) {
  slack_verifier_options slack;
  slack.secret = [&secrets]() -> const std::optional<std::string>& {
    return secrets.slack_signing_secret();
  };
  slack.unavailable = [&engine] {
    return unavailable(engine.current_config()->chat.slack_signing_secret.has_value(),
                       "Slack slash commands", "[chat.slack] signing_secret");
  };
  slack.db = &db;
  app.add(route_spec({"POST"}, "/hooks/slack")
              .verified_by(slack_request_verifier(std::move(slack)))
              .max_body_bytes(kMaxBody),
          [&chat](const request& req, const call_context&) {
            return answer(chat, chat::platform::slack, req);
          });

  app.add(route_spec({"POST"}, "/hooks/mattermost")
              .verified_by(mattermost_token_verifier(
                  [&secrets]() -> const std::optional<std::string>& {
                    return secrets.mattermost_token();
                  },
                  [&engine] {
                    return unavailable(engine.current_config()->chat.mattermost_token.has_value(),
                                       "Mattermost slash commands", "[chat.mattermost] token");
                  }))
              .max_body_bytes(kMaxBody),
          [&chat](const request& req, const call_context&) {
            return answer(chat, chat::platform::mattermost, req);
          });
}

}  // namespace bluegreen::api
