// Slash commands from Slack and Mattermost end to end: the real bluegreend
// with sshd, nginx and the demo apps, commands signed as Slack signs them
// (or carrying Mattermost's token), and a local receiver standing in for
// the command's response_url.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "api/hmac_signature.hpp"
#include "tests/support/file_gate.hpp"
#include "tests/support/form_encode.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::eventually;
using bluegreen::testing::form_encode;
using bluegreen::testing::http_receiver;
using bluegreen::testing::http_reply;
using bluegreen::testing::received_request;
using bluegreen::testing::temp_dir;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

const std::string kSlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
const std::string kMattermostToken = "xr3j5x3p4pfk7e3qyfwm7e9mah";

struct chat_user {
  std::string team = "T1";
  std::string id = "U1";
  std::string name = "alice";
};

std::string command_body(const std::string& text, const std::string& response_url,
                         const chat_user& who = {}) {
  return "token=unused&team_id=" + who.team + "&team_domain=example&channel_id=C1" +
         "&channel_name=deploys&user_id=" + who.id + "&user_name=" + form_encode(who.name) +
         "&command=%2Fdeploy&text=" + form_encode(text) +
         "&response_url=" + form_encode(response_url) + "&trigger_id=1.2.3";
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<http_reply> post_form(std::uint16_t port, const std::string& path,
                                    const std::string& body, const std::string& headers) {
  bluegreen::testing::http_connection conn("127.0.0.1", port);
  std::string req = "POST " + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n" + headers + "\r\n" + body;
  if (!conn.send_raw(req)) return std::nullopt;
  return conn.read_reply(10s);
}

std::string slack_headers(const std::string& body, std::int64_t ts = unix_now(),
                          const std::string& secret = kSlackSecret) {
  std::string t = std::to_string(ts);
  return "X-Slack-Request-Timestamp: " + t + "\r\nX-Slack-Signature: v0=" +
         bluegreen::api::hmac_sha256_hex(secret, "v0:" + t + ":" + body) + "\r\n";
}

// A world whose daemon takes slash commands from team T1: alice (U1) may
// do anything from Slack or Mattermost, bob (U2) only status from Slack; the receivers' address is
// allowed as an outbound target.
class Chat : public ::testing::Test {
 protected:
  void SetUp() override {
    auto slack = secrets_.write("slack-signing-secret", kSlackSecret + "\n");
    auto mattermost = secrets_.write("mattermost-token", kMattermostToken + "\n");
    world_options o = options_;
    o.extra_config = "\n[chat.slack]\nsigning_secret = { file = \"" + slack.string() +
                     "\" }\n[chat.mattermost]\ntoken = { file = \"" + mattermost.string() +
                     "\" }\n[[chat.allow]]\nplatform = \"slack\"\nteams = [\"T1\"]\n"
                     "users = [\"U1\"]\n[[chat.allow]]\nplatform = \"mattermost\"\n"
                     "teams = [\"T1\"]\nusers = [\"U1\"]\n[[chat.allow]]\nplatform = \"slack\"\n"
                     "users = [\"U2\"]\nactions = [\"status\"]\n" +
                     (allow_receivers_ ? "\n[outbound]\nallow = [\"127.0.0.1\"]\n" : "");
    w_ = std::make_unique<world>(o);
    w_->start_daemon();
  }

  http_reply slack(const std::string& text, const chat_user& who = {}) {
    std::string body = command_body(text, receiver_.url("/slack"), who);
    auto r = post_form(w_->api_port(), "/hooks/slack", body, slack_headers(body));
    if (!r) throw std::runtime_error("no answer from /hooks/slack");
    return *r;
  }

  http_reply mattermost(const std::string& text, const std::string& token = kMattermostToken) {
    std::string body = command_body(text, receiver_.url("/mattermost"));
    auto r = post_form(w_->api_port(), "/hooks/mattermost", body,
                       "Authorization: Token " + token + "\r\n");
    if (!r) throw std::runtime_error("no answer from /hooks/mattermost");
    return *r;
  }

  // Whether the receiver got a post at `path` whose text contains `part`.
  bool posted(const std::string& path, const std::string& part, std::chrono::seconds deadline) {
    return receiver_.wait_until(
        [&](const received_request& r) {
          if (r.target != path) return false;
          auto body = json::parse(r.body, nullptr, false);
          return body.is_object() && body.value("text", "").find(part) != std::string::npos;
        },
        deadline);
  }

  json events() { return w_->api("GET", "/api/v1/events?limit=1000").body["events"]; }
  // The id of demo's newest operation, if it has one.
  std::optional<std::int64_t> newest_operation() {
    auto ops = w_->api("GET", "/api/v1/apps/demo/deployments").body["operations"];
    if (ops.empty()) return std::nullopt;
    return ops[0]["id"].get<std::int64_t>();
  }
  std::size_t operations() {
    return w_->api("GET", "/api/v1/apps/demo/deployments").body["operations"].size();
  }

  world_options options_;
  bool allow_receivers_ = true;  // the receivers' address in [outbound] allow
  temp_dir secrets_;
  http_receiver receiver_;
  std::unique_ptr<world> w_;
};

// The reply's text, checking the JSON both chats read.
std::string text_of(const http_reply& r, const std::string& response_type) {
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "",
            "application/json");
  auto body = json::parse(r.body, nullptr, false);
  EXPECT_TRUE(body.is_object()) << r.body;
  if (!body.is_object()) return "";
  EXPECT_EQ(body.value("response_type", ""), response_type) << r.body;
  return body.value("text", "");
}

TEST_F(Chat, ASlackDeployIsAnsweredAtOnceAndItsProgressPostedToTheResponseUrl) {
  std::string idle = "green";
  auto answer = slack("demo main");
  auto body = json::parse(answer.body);
  std::string text = body.value("text", "");
  // Acceptance reads the load balancer; when it takes longer than the
  // chat waits, the answer says so and the acceptance is posted instead.
  if (text.starts_with("Working on it")) {
    EXPECT_EQ(body["response_type"], "ephemeral");
    EXPECT_TRUE(posted("/slack", "Deploying demo main to green", 60s));
  } else {
    EXPECT_EQ(text_of(answer, "in_channel").find("Deploying demo main to green (operation "), 0u)
        << text;
    EXPECT_NE(text.find("asked by alice"), std::string::npos) << text;
  }
  ASSERT_TRUE(posted("/slack", "Smoke checks passed: demo main", 120s));
  EXPECT_TRUE(posted("/slack", "is ready on green", 1s));
  EXPECT_TRUE(posted("/slack", "`/deploy switch demo`", 1s));
  for (const auto& r : receiver_.requests()) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(json::parse(r.body)["response_type"], "in_channel") << r.body;
  }
  // The deploy ran as the Slack user, on the idle colour; traffic stays.
  auto ops = w_->api("GET", "/api/v1/apps/demo/deployments").body["operations"];
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]["state"], "ready");
  EXPECT_EQ(ops[0]["colour"], idle);
  EXPECT_EQ(ops[0]["actor"], "alice (U1)");
  EXPECT_EQ(ops[0]["channel"], "slack");
  EXPECT_EQ(w_->upstream_colour(), "blue");

  // Status answers the live colour, to the asker only.
  std::string status = text_of(slack("status demo"), "ephemeral");
  EXPECT_NE(status.find("live blue"), std::string::npos) << status;
  EXPECT_NE(status.find("green: main"), std::string::npos) << status;

  // A switch from chat switches, and says so.
  std::string switching = text_of(slack("switch demo"), "in_channel");
  EXPECT_EQ(switching.find("Switching demo to green (operation "), 0u) << switching;
  ASSERT_TRUE(posted("/slack", "Switched demo to green", 60s));
  EXPECT_EQ(w_->upstream_colour(), "green");
  EXPECT_NE(text_of(slack("status"), "ephemeral").find("live green"), std::string::npos);

  // And a rollback from chat rolls back.
  std::string rolling = text_of(slack("rollback demo"), "in_channel");
  EXPECT_EQ(rolling.find("Rolling demo back to blue (operation "), 0u) << rolling;
  ASSERT_TRUE(posted("/slack", "Rolled demo back to blue", 60s));
  EXPECT_EQ(w_->upstream_colour(), "blue");
}

TEST_F(Chat, AUserNoRuleAllowsIsRefusedNothingRunsAndTheRefusalIsAudited) {
  chat_user bob{"T1", "U2", "bob"};
  std::string refused = text_of(slack("demo main", bob), "ephemeral");
  for (std::string part : {"Not allowed", "user U2 (bob) of team T1", "may not deploy demo",
                           "[[chat.allow]]", "users = [\"U2\"]"})
    EXPECT_NE(refused.find(part), std::string::npos) << part << " in " << refused;
  // A user of another team is refused, whatever the user id...
  chat_user stranger{"T9", "U1", "mallory"};
  EXPECT_NE(text_of(slack("switch demo", stranger), "ephemeral").find("of team T9"),
            std::string::npos);
  // ...and bob may see the status.
  EXPECT_NE(text_of(slack("status demo", bob), "ephemeral").find("live blue"), std::string::npos);

  EXPECT_EQ(operations(), 0u);
  EXPECT_EQ(w_->upstream_colour(), "blue");
  EXPECT_EQ(receiver_.requests().size(), 0u);
  auto audit = events();
  std::vector<json> refusals;  // newest first
  for (const auto& e : audit)
    if (e["action"] == "chat.refused") refusals.push_back(e);
  ASSERT_EQ(refusals.size(), 2u) << audit.dump();
  EXPECT_EQ(refusals[1]["actor"], "bob (U2)");
  EXPECT_EQ(refusals[1]["channel"], "slack");
  EXPECT_EQ(refusals[1]["app"], "demo");
  EXPECT_EQ(refusals[0]["actor"], "mallory (U1)");
}

TEST_F(Chat, ForgedStaleAndReplayedSlackRequestsAreRefusedAndChangeNothing) {
  std::size_t before = events().size();
  std::string body = command_body("lock demo release freeze", receiver_.url("/slack"));
  std::string headers = slack_headers(body);
  auto first = post_form(w_->api_port(), "/hooks/slack", body, headers);
  ASSERT_TRUE(first);
  EXPECT_NE(text_of(*first, "in_channel").find("demo is locked by alice"), std::string::npos);
  std::size_t audited = events().size();
  ASSERT_EQ(audited, before + 1) << events().dump();
  EXPECT_EQ(events()[0]["action"], "app.lock");

  auto unlock = command_body("unlock demo", receiver_.url("/slack"));
  struct attempt {
    std::string what;
    std::string body;
    std::string headers;
  };
  std::vector<attempt> attempts = {
      {"replayed", body, headers},
      {"unsigned", unlock, ""},
      {"wrong secret", unlock, slack_headers(unlock, unix_now(), "not the secret")},
      {"tampered", unlock, slack_headers(body)},
      // 100 s past the window's edge: the attempts before them may take
      // the daemon's clock past a second boundary without letting them in.
      {"stale", unlock, slack_headers(unlock, unix_now() - 400)},
      {"future", unlock, slack_headers(unlock, unix_now() + 400)},
  };
  for (const auto& a : attempts) {
    auto r = post_form(w_->api_port(), "/hooks/slack", a.body, a.headers);
    ASSERT_TRUE(r) << a.what;
    EXPECT_EQ(r->status, 401) << a.what << ": " << r->body;
    auto error = json::parse(r->body, nullptr, false);
    EXPECT_EQ(error["error"]["code"], "unauthorized") << a.what << ": " << r->body;
    EXPECT_EQ(r->body.find(kSlackSecret), std::string::npos);
  }
  // Still locked, nothing more in the audit log, no secret in the log.
  auto app = w_->api("GET", "/api/v1/apps/demo").body;
  EXPECT_FALSE(app["locks"]["manual"].is_null()) << app["locks"].dump();
  EXPECT_EQ(events().size(), audited) << events().dump();
  EXPECT_TRUE(eventually([&] {
    return w_->daemon().stderr_text().find("refused a request to /hooks/slack") !=
           std::string::npos;
  }));
  EXPECT_EQ(w_->daemon().stderr_text().find(kSlackSecret), std::string::npos);

  // Slack's certificate check is answered and does nothing.
  auto check = post_form(w_->api_port(), "/hooks/slack", "ssl_check=1&token=x", "");
  ASSERT_TRUE(check);
  EXPECT_EQ(check->status, 200);
  EXPECT_EQ(events().size(), audited);

  // A new signing secret takes effect with a reload; the old one is refused.
  secrets_.write("slack-signing-secret", "a rotated secret\n");
  w_->daemon().signal(SIGHUP);
  ASSERT_TRUE(w_->daemon().wait_for_stderr("configuration reloaded", 20s));
  auto old_secret = post_form(w_->api_port(), "/hooks/slack", unlock, slack_headers(unlock));
  ASSERT_TRUE(old_secret);
  EXPECT_EQ(old_secret->status, 401) << old_secret->body;
  auto rotated = post_form(w_->api_port(), "/hooks/slack", unlock,
                           slack_headers(unlock, unix_now(), "a rotated secret"));
  ASSERT_TRUE(rotated);
  EXPECT_NE(text_of(*rotated, "in_channel").find("demo is unlocked"), std::string::npos)
      << rotated->body;
}

TEST_F(Chat, MattermostCommandsCarryTheirTokenAndAlwaysSayTheirResponseType) {
  auto wrong = mattermost("demo main", "not-the-token");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_EQ(wrong.body.find(kMattermostToken), std::string::npos);
  EXPECT_EQ(operations(), 0u);

  std::string help = text_of(mattermost("help"), "ephemeral");
  EXPECT_NE(help.find("`/deploy switch <app> [colour | colour=percent]`"), std::string::npos);
  std::string unknown = text_of(mattermost("frobnicate demo now"), "ephemeral");
  EXPECT_NE(unknown.find("Usage:"), std::string::npos) << unknown;

  auto answer = mattermost("demo main");
  auto body = json::parse(answer.body);
  if (!body.value("text", "").starts_with("Working on it")) {
    EXPECT_EQ(text_of(answer, "in_channel").find("Deploying demo main to green"), 0u);
  }
  ASSERT_TRUE(posted("/mattermost", "is ready on green", 120s));

  // A weighted switch, then the whole switch.
  std::string canary = text_of(mattermost("switch demo green=10"), "in_channel");
  EXPECT_NE(canary.find("blue 90%, green 10%"), std::string::npos) << canary;
  ASSERT_TRUE(posted("/mattermost", "Switched demo to blue 90%, green 10%", 60s));
  EXPECT_EQ(w_->upstream_colour(), "split");
  text_of(mattermost("switch demo green"), "in_channel");
  ASSERT_TRUE(posted("/mattermost", "Switched demo to green", 60s));
  EXPECT_EQ(w_->upstream_colour(), "green");

  auto ops = w_->api("GET", "/api/v1/apps/demo/deployments").body["operations"];
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(ops[0]["channel"], "mattermost");
  EXPECT_EQ(ops[0]["actor"], "alice (U1)");
}

TEST_F(Chat, AFailedDeployIsPostedWithItsReasonAndTrafficStays) {
  std::ofstream(w_->host_dir("127.0.0.4") / "fail-deploy");
  auto answer = slack("demo main");
  EXPECT_EQ(answer.status, 200) << answer.body;
  ASSERT_TRUE(posted("/slack", "Failed: deploy of demo main", 120s));
  EXPECT_TRUE(posted("/slack", "127.0.0.4", 1s));
  EXPECT_EQ(w_->upstream_colour(), "blue");
  // Status still says blue is live.
  std::string status = text_of(slack("status demo"), "ephemeral");
  EXPECT_NE(status.find("live blue"), std::string::npos) << status;
}

TEST_F(Chat, CancelStopsTheAppsRunningDeploy) {
  EXPECT_NE(text_of(slack("cancel demo"), "ephemeral").find("Nothing to cancel"),
            std::string::npos);
  for (const auto& h : w_->green_hosts()) std::ofstream(w_->host_dir(h) / "slow-deploy");
  EXPECT_EQ(slack("demo main").status, 200);
  std::int64_t id = 0;
  ASSERT_TRUE(eventually(
      [&] {
        auto newest = newest_operation();
        id = newest.value_or(0);
        return newest && w_->log_text(id).find("sleeping on") != std::string::npos;
      },
      60s));
  std::string cancelling = text_of(slack("cancel demo"), "in_channel");
  EXPECT_EQ(cancelling.find("Cancelling deploy of demo (operation " + std::to_string(id) + ")"), 0u)
      << cancelling;
  ASSERT_TRUE(posted("/slack", "Cancelled: deploy of demo main", 60s));
  EXPECT_EQ(w_->api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"]["state"],
            "cancelled");
}

// The same daemon without the receivers' address in [outbound] allow: a
// response_url on loopback is what an attacker would send to reach the
// daemon's own machine.
class ChatWithoutAllowance : public Chat {
 protected:
  ChatWithoutAllowance() { allow_receivers_ = false; }
};

TEST_F(ChatWithoutAllowance, AResponseUrlOnLoopbackIsRefusedWhileTheCommandStillRuns) {
  auto answer = slack("demo main");
  EXPECT_EQ(answer.status, 200) << answer.body;
  // Answered in the channel, or "working on it" with the acceptance posted.
  bool handed_off = json::parse(answer.body).value("text", "").starts_with("Working on it");
  ASSERT_TRUE(eventually([&] { return newest_operation().has_value(); }, 60s));
  EXPECT_EQ(w_->follow(*newest_operation())["state"], "ready");
  // The "ready" post (and the acceptance, when handed off) is tried once
  // the operation has ended: each attempt is a line of the daemon's log.
  for (int post = 0; post < (handed_off ? 2 : 1); ++post) {
    auto line = w_->daemon().wait_for_stderr("response_url", 60s);
    ASSERT_TRUE(line) << w_->daemon().stderr_text();
    EXPECT_NE(line->find("refused to send the request: 127.0.0.1 is a loopback address; add "
                         "\"127.0.0.1\" to [outbound] allow"),
              std::string::npos)
        << *line;
  }
  EXPECT_EQ(receiver_.connections(), 0u);
  EXPECT_TRUE(receiver_.requests().empty());
  // The URL's path is the credential to post in the channel.
  EXPECT_EQ(w_->daemon().stderr_text().find(receiver_.url("/slack")), std::string::npos);
}

// The load balancer is read through operator scripts, and the test holds
// the next reading: acceptance takes as long as the test wants.
class ChatSlowBalancer : public Chat {
 protected:
  ChatSlowBalancer() {
    options_.command_backend = true;
    options_.reality_interval = "0s";  // no look between operations reads it first
  }
};

TEST_F(ChatSlowBalancer, ACommandWhoseAcceptanceIsSlowIsAnsweredAndItsOutcomePostedLater) {
  bluegreen::testing::file_gate hold(w_->root() / "current-hold");
  // Answered while the load balancer's reading still waits at the gate.
  std::string waiting = text_of(slack("demo main"), "ephemeral");
  EXPECT_EQ(waiting.find("Working on it"), 0u) << waiting;
  EXPECT_TRUE(std::filesystem::exists(w_->root() / "current-waiting"));
  EXPECT_EQ(receiver_.requests().size(), 0u);
  hold.open();
  ASSERT_TRUE(posted("/slack", "Deploying demo main to green (operation ", 60s));
  ASSERT_TRUE(posted("/slack", "is ready on green", 120s));
  auto posts = receiver_.requests();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(json::parse(posts[0].body)["response_type"], "in_channel");
  EXPECT_NE(json::parse(posts[0].body)["text"].get<std::string>().find("asked by alice"),
            std::string::npos);
}

// Running operations are cancelled at once when the daemon stops.
class ChatStopping : public Chat {
 protected:
  ChatStopping() { options_.stop_timeout = "0s"; }
};

TEST_F(ChatStopping, AStopDoesNotWaitForTheChatFollowingAnOperation) {
  for (const auto& h : w_->green_hosts()) std::ofstream(w_->host_dir(h) / "slow-deploy");
  auto answer = slack("demo main");
  EXPECT_EQ(answer.status, 200) << answer.body;
  ASSERT_TRUE(eventually(
      [&] {
        auto ops = w_->api("GET", "/api/v1/apps/demo/deployments").body["operations"];
        return !ops.empty() && w_->log_text(ops[0]["id"]).find("sleeping on") != std::string::npos;
      },
      60s));
  w_->daemon().signal(SIGTERM);
  // The exit status is not asserted: libssh2 can leave a few bytes behind
  // for LeakSanitizer when a running step is cancelled at exit, chat or not.
  ASSERT_TRUE(w_->daemon().wait_exit(60s)) << w_->daemon().stderr_text();
  std::string log = w_->daemon().stderr_text();
  EXPECT_NE(log.find("info: stopped"), std::string::npos) << log;
  EXPECT_EQ(log.find("chat deploy of demo failed"), std::string::npos) << log;
}

}  // namespace
