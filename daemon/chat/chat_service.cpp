#include "daemon/chat/chat_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/engine/engine.hpp"
#include "daemon/net/address_policy.hpp"
#include "daemon/net/url.hpp"
#include "daemon/one_line_text.hpp"

namespace bluegreen::chat {

namespace asio = boost::asio;
using storage::operation_state;

namespace {

reply ephemeral(std::string text) { return reply{false, std::move(text)}; }

std::string unknown_app_text(const daemon::config& cfg, std::string_view app) {
  std::string names;
  for (const auto& a : cfg.apps) names += (names.empty() ? "" : ", ") + a.name;
  return "No app named \"" + std::string(app) + "\" in the daemon's configuration" +
         (names.empty() ? std::string(".") : "; its apps are: " + names + ".");
}

// Where a post goes, for the log: the response_url's host only (its path
// is a credential for posting to the channel).
std::string host_of(const std::string& url) {
  auto parsed = net::parse_url(url);
  return parsed ? parsed->host : std::string("an unreadable URL");
}

// Who the audit log, locks and operations name: "alice (U0123ABCD)", or
// the id alone (Slack is phasing user_name out). What the chat sent is
// quoted on one line and cut short: these names reach the daemon's log in
// the messages of other refusals ("locked by ...").
std::string actor_name(const caller& from) {
  constexpr std::size_t kMax = 100;
  std::string id = daemon::one_line_name(from.user_id, kMax);
  if (from.user_name.empty()) return id;
  return daemon::one_line_name(from.user_name, kMax) + " (" + id + ")";
}

}  // namespace

// The answer of a request that waits for its operation's acceptance.
struct chat_service::pending_answer {
  explicit pending_answer(asio::io_context& io) : wake(io) {}
  asio::steady_timer wake;  // cancelled when the outcome is known
  std::optional<reply> outcome;
  bool handed_off = false;  // the request was answered without it: post it
};

// What may still be posted to a command's response_url.
struct chat_service::response_budget {
  std::string url;
  platform chat = platform::slack;  // how the posts' texts are made inert
  std::chrono::steady_clock::time_point until;
  std::size_t left = 0;
};

chat_service::chat_service(asio::io_context& io, engine::engine& core, chat_options options)
    : io_(io), core_(core), options_(options), tasks_(io) {}

chat_service::~chat_service() { tasks_.stop(); }

asio::awaitable<reply> chat_service::handle(slash_request req) {
  if (req.command.empty()) req.command = "/deploy";
  try {
    std::string text = req.platform == platform::slack ? unescape_slack(req.text) : req.text;
    auto parsed = parse_command(text);
    if (!parsed) co_return ephemeral(parsed.error().message + "\n" + usage(req.command));
    command c = parsed.value();
    co_return co_await run(req, c);
  } catch (const std::exception& e) {
    spdlog::error("a {} command failed: {}", channel_of(req.platform), e.what());
  }
  co_return ephemeral("The daemon failed to run the command; its log says why.");
}

asio::awaitable<reply> chat_service::run(const slash_request& req, const command& c) {
  if (c.action == action::help) co_return ephemeral(usage(req.command));
  auto cfg = core_.current_config();
  engine::actor who{actor_name(req.from), std::string(channel_of(req.platform))};
  // Status without an app shows the apps the caller may see; refused only
  // when that is none.
  bool every_app = c.action == action::status && c.app.empty();
  bool allowed = !every_app
                     ? allows(cfg->chat.allow, req.platform, req.from, c.action, c.app)
                     : std::any_of(cfg->apps.begin(), cfg->apps.end(), [&](const auto& a) {
                         return allows(cfg->chat.allow, req.platform, req.from, c.action, a.name);
                       });
  // With no apps configured, status of every app is refused by the check
  // above although a rule may allow it: say so rather than refuse.
  auto why =
      allowed ? std::nullopt : refusal(cfg->chat.allow, req.platform, req.from, c.action, c.app);
  if (!allowed && !why) co_return ephemeral("The daemon's configuration has no apps yet.");
  if (!allowed) {
    std::optional<std::string_view> app;
    if (cfg->find_app(c.app)) app = c.app;
    std::string detail = std::string(action_name(c.action)) + " " +
                         (c.app.empty() ? std::string("(every app)") : c.app) +
                         ": no [[chat.allow]] rule allows user " + req.from.user_id + " of team " +
                         req.from.team_id;
    core_.record(who, "chat.refused", app, detail);
    spdlog::info("{} command refused: {} may not {}", channel_of(req.platform), who.name,
                 daemon::escape_one_line(detail));
    co_return ephemeral(*why);
  }
  if (!every_app && !cfg->find_app(c.app)) co_return ephemeral(unknown_app_text(*cfg, c.app));

  switch (c.action) {
    case action::help:
    case action::status:
      co_return status(req, c);
    case action::lock: {
      auto locked = core_.lock(c.app, c.reason, who);
      if (!locked) co_return ephemeral(locked.error().message);
      co_return reply{true, c.app + " is locked by " + locked->holder + ": " + c.reason +
                                ". Deploys and switches are refused until `" + req.command +
                                " unlock " + c.app + "`."};
    }
    case action::unlock: {
      auto unlocked = core_.unlock(c.app, who);
      if (!unlocked) co_return ephemeral(unlocked.error().message);
      co_return reply{true, c.app + " is unlocked — by " + who.name + "."};
    }
    case action::cancel:
      co_return cancel(c, who);
    case action::deploy:
    case action::switch_traffic:
    case action::rollback: {
      slash_request copy = req;
      command cmd = c;
      co_return co_await start_operation(copy, cmd, who);
    }
  }
  co_return ephemeral(usage(req.command));
}

reply chat_service::status(const slash_request& req, const command& c) {
  auto cfg = core_.current_config();
  if (!c.app.empty()) {
    auto view = core_.app(c.app);
    if (!view) return ephemeral(unknown_app_text(*cfg, c.app));
    return ephemeral(status_text(*view));
  }
  std::string text;
  for (const auto& view : core_.apps()) {
    if (!allows(cfg->chat.allow, req.platform, req.from, action::status, view.app->name)) continue;
    text += (text.empty() ? "" : "\n") + status_text(view);
  }
  return ephemeral(text);
}

reply chat_service::cancel(const command& c, const engine::actor& who) {
  auto view = core_.app(c.app);
  std::optional<std::int64_t> id;
  if (view && view->operation_lock) id = view->operation_lock->operation_id;
  if (!id) {
    // A deploy that waits to be switched to holds no lock, and may be
    // cancelled too.
    for (const auto& op : core_.operations(c.app, 20, std::nullopt))
      if (op.state == operation_state::ready || storage::is_running_state(op.state)) {
        id = op.id;
        break;
      }
  }
  if (!id) return ephemeral("Nothing to cancel: no operation of " + c.app + " is running.");
  auto cancelled = core_.cancel(*id, who);
  if (!cancelled) return ephemeral(cancelled.error().message);
  return reply{true, "Cancelling " + std::string(storage::to_string(cancelled->kind)) + " of " +
                         c.app + " (operation " + std::to_string(*id) + ") — asked by " + who.name};
}

asio::awaitable<reply> chat_service::start_operation(slash_request req, command c,
                                                     engine::actor who) {
  auto pending = std::make_shared<pending_answer>(io_);
  auto budget = std::make_shared<response_budget>();
  budget->url = req.response_url;
  budget->chat = req.platform;
  budget->until = std::chrono::steady_clock::now() + options_.post_window;
  budget->left = req.response_url.empty() ? 0 : options_.max_posts;
  pending->wake.expires_after(options_.answer_within);
  std::string name = "chat " + std::string(action_name(c.action)) + " of " + c.app;
  auto work = operate(std::move(req), std::move(c), std::move(who), pending, budget);
  if (!tasks_.spawn(std::move(name), std::move(work)))
    co_return ephemeral("The daemon is stopping; try again once it is back.");
  if (!pending->outcome) co_await pending->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  if (pending->outcome) co_return *pending->outcome;
  pending->handed_off = true;
  co_return ephemeral(
      budget->left > 0
          ? "Working on it: the load balancer is slow to answer. The outcome follows here."
          : "Working on it: the load balancer is slow to answer, and this chat gave no "
            "response_url to tell the outcome; see the dashboard.");
}

asio::awaitable<void> chat_service::operate(slash_request req, command c, engine::actor who,
                                            std::shared_ptr<pending_answer> pending,
                                            std::shared_ptr<response_budget> budget) {
  // Acceptance runs to its end even when the service stops: cutting it
  // short would leave the engine's call half-way.
  co_await asio::this_coro::reset_cancellation_state(asio::disable_cancellation());
  auto cfg = core_.current_config();
  std::string target;
  engine::result<storage::operation_record> started =
      daemon::failure{daemon::failure::kind::internal, "internal", "not started"};
  try {
    switch (c.action) {
      case action::deploy: {
        const daemon::app_config* app = cfg->find_app(c.app);
        engine::deploy_request dr{c.ref.value_or(app ? app->deploy.default_ref : "main"), false};
        started = co_await core_.deploy(c.app, dr, who);
        break;
      }
      case action::switch_traffic: {
        engine::switch_request sw;
        sw.to = c.to;
        sw.weights = c.weights;
        if (c.weights) target = c.weights->describe();
        started = co_await core_.switch_traffic(c.app, sw, who);
        break;
      }
      case action::rollback:
        started = co_await core_.rollback(c.app, who);
        break;
      default:
        break;
    }
  } catch (const std::exception& e) {
    spdlog::error("a {} command failed: {}", channel_of(req.platform), e.what());
    started = daemon::failure{daemon::failure::kind::internal, "internal",
                              "The daemon failed to run the command; its log says why."};
  }
  std::string asked_by = req.from.user_name.empty() ? req.from.user_id : req.from.user_name;
  reply answer = started ? reply{true, accepted_text(*started, asked_by, target)}
                         : ephemeral(started.error().message);
  if (!pending->handed_off) {
    pending->outcome = answer;
    pending->wake.cancel();
  }
  co_await asio::this_coro::reset_cancellation_state();
  // A stop that came while the engine accepted ends the task here: a
  // graceful stop never waits for a chat.
  if (tasks_.stopping()) co_return;
  // As the answer would have been: an acceptance in the channel, a
  // refusal only to the one who asked (response_url posts may be either).
  if (pending->handed_off) co_await post(budget, answer);
  if (!started) co_return;
  co_await follow(started->id, started->state, req.command, target, budget);
}

asio::awaitable<void> chat_service::follow(std::int64_t id, operation_state told, std::string slash,
                                           std::string target,
                                           std::shared_ptr<response_budget> budget) {
  auto& events = core_.event_stream();
  std::int64_t cursor = events.newest();
  for (;;) {
    auto op = core_.operation(id);
    if (!op) co_return;
    if (op->state != told) {
      told = op->state;
      if (auto text = progress_text(*op, slash, target)) {
        reply progress{true, *text};
        co_await post(budget, progress);
      }
    }
    // A ready deploy waits for a switch, which is a command of its own.
    if (storage::is_terminal_state(op->state) || op->state == operation_state::ready) co_return;
    if (budget->left == 0 || std::chrono::steady_clock::now() >= budget->until) co_return;
    if (events.stopping()) co_return;
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        budget->until - std::chrono::steady_clock::now());
    auto wait_for = std::min<std::chrono::milliseconds>(remaining, std::chrono::seconds(30));
    co_await events.wait(cursor, wait_for);
    auto page = events.read(cursor, 500, op->app);
    cursor = page.cursor;
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) co_return;
  }
}

asio::awaitable<void> chat_service::post(std::shared_ptr<response_budget> budget, reply r) {
  if (budget->left == 0 || std::chrono::steady_clock::now() >= budget->until) {
    spdlog::debug("chat: not posting \"{}\": the response_url's posts are used up",
                  daemon::escape_one_line(r.text));
    co_return;
  }
  // The URL is a credential to post in the channel: never in the log.
  if (!net::parse_url(budget->url)) {
    spdlog::warn(
        "chat: the command's response_url is not an http:// or https:// URL; its "
        "progress is not posted");
    budget->left = 0;
    co_return;
  }
  --budget->left;
  auto cfg = core_.current_config();
  net::http_request request;
  request.method = "POST";
  request.url = budget->url;
  request.headers = {{"Content-Type", "application/json"}};
  request.body = reply_json(r, budget->chat);
  net::request_options options;
  options.connect_timeout =
      std::min<std::chrono::milliseconds>(options_.post_timeout, std::chrono::seconds(3));
  options.total_timeout = options_.post_timeout;
  options.max_body_bytes = 64 * 1024;
  options.outbound = std::make_shared<const net::address_policy>(cfg->outbound.allow);
  auto sent = co_await client_.send(request, options);
  if (!sent)
    spdlog::warn("chat: posting to the response_url at {} failed: {}", host_of(budget->url),
                 sent.error().message);
  else if (sent.response().status < 200 || sent.response().status >= 300)
    spdlog::warn("chat: the response_url at {} answered HTTP {}", host_of(budget->url),
                 sent.response().status);
}

}  // namespace bluegreen::chat
