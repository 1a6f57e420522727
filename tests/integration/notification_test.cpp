// Notifications end to end: the real bluegreend, sshd, nginx and demo apps,
// and local receivers in the formats of Slack, Mattermost and Discord
// incoming webhooks and of the generic signed webhook, each reached
// through a URL read from a secret file (allowed in [outbound], as a
// loopback address must be).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <time.h>

#include <fstream>
#include <regex>

#include "tests/support/http_receiver.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::eventually;
using bluegreen::testing::http_receiver;
using bluegreen::testing::read_file;
using bluegreen::testing::received_request;
using bluegreen::testing::receiver_answer;
using bluegreen::testing::temp_dir;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

constexpr const char* kHookSecret = "a shared webhook secret";

std::string hmac_hex(const std::string& key, const std::string& body) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 0xf];
  }
  return hex;
}

std::string target(const std::string& name, const std::string& kind,
                   const std::filesystem::path& url_file, const std::string& extra = "") {
  return "[[notify.target]]\nname = \"" + name + "\"\nkind = \"" + kind + "\"\nurl = { file = \"" +
         url_file.string() + "\" }\n" + extra;
}

// The text a receiver of `kind` got in a request, whatever its format.
std::string text_of(const std::string& kind, const received_request& r) {
  json body = json::parse(r.body, nullptr, false);
  if (!body.is_object()) return {};
  const char* key = kind == "discord" ? "content" : "text";
  return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
}

bool received_text(http_receiver& receiver, const std::string& kind, const std::string& needle) {
  return receiver.wait_until(
      [&](const received_request& r) { return text_of(kind, r).find(needle) != std::string::npos; },
      60s);
}

// "HH:MM:SS", local time, `ahead` from now.
std::string local_time_of_day(std::chrono::seconds ahead) {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + ahead);
  std::tm local{};
  localtime_r(&t, &local);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

TEST(Notifications, ADeployASwitchAndTheWatchsSwitchBackArriveInEachFormat) {
  temp_dir secrets;
  http_receiver slack, mattermost, discord, hook;
  auto slack_url = secrets.write("slack-url", slack.url("/services/T000/B000/XXXX") + "\n");
  auto mm_url = secrets.write("mm-url", mattermost.url("/hooks/abc123"));
  auto discord_url = secrets.write("discord-url", discord.url("/api/webhooks/1/token"));
  auto hook_url = secrets.write("hook-url", hook.url("/bluegreen"));
  auto hook_secret = secrets.write("hook-secret", kHookSecret);
  world_options o;
  o.promote_mode = "manual";
  o.watch = "20s";
  o.server_extra = "public_url = \"https://deploy.example.com\"\n";
  o.extra_config = "\n[outbound]\nallow = [\"127.0.0.1\"]\n\n" +
                   target("team-slack", "slack", slack_url) +
                   target("team-mattermost", "mattermost", mm_url) +
                   target("team-discord", "discord", discord_url) +
                   target("ops-hook", "webhook", hook_url,
                          "secret = { file = \"" + hook_secret.string() + "\" }\n");
  world w(o);
  w.commit_version("2.0.0");
  auto deployed = w.deploy("main");
  ASSERT_EQ(deployed["state"], "ready");
  std::int64_t deploy_id = deployed["id"];
  auto r = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  ASSERT_EQ(r.status, 202);
  std::int64_t switch_id = r.body["operation"]["id"];
  ASSERT_TRUE(eventually([&] {
    return w.api("GET", "/api/v1/deployments/" + std::to_string(switch_id))
               .body["operation"]["state"] == "succeeded";
  }));
  for (const auto& h : w.green_hosts()) std::ofstream(w.host_dir(h) / "unhealthy");
  ASSERT_TRUE(eventually(
      [&] {
        return w.api("GET", "/api/v1/deployments/" + std::to_string(switch_id))
                   .body["operation"]["state"] == "rolled_back";
      },
      60s));

  std::string deploy_number = "deploy #" + std::to_string(deploy_id) + " of main";
  std::string link = "https://deploy.example.com/#/apps/demo/ops/" + std::to_string(deploy_id);
  for (auto [receiver, kind] : {std::pair{&slack, "slack"}, std::pair{&mattermost, "mattermost"},
                                std::pair{&discord, "discord"}, std::pair{&hook, "webhook"}}) {
    SCOPED_TRACE(kind);
    EXPECT_TRUE(received_text(*receiver, kind, deploy_number + " started"));
    EXPECT_TRUE(received_text(*receiver, kind, "is ready on green"));
    EXPECT_TRUE(received_text(*receiver, kind, "traffic switched from blue to green by tester"));
    EXPECT_TRUE(received_text(*receiver, kind,
                              "traffic was switched back to blue automatically after watch saw 3 "
                              "failed probes"));
    EXPECT_TRUE(received_text(*receiver, kind, link));
  }
  // Each in its own format.
  for (const auto& req : slack.requests()) {
    json body = json::parse(req.body);
    EXPECT_EQ(body.size(), 1u) << req.body;
    EXPECT_EQ(req.target, "/services/T000/B000/XXXX");
    EXPECT_EQ(req.headers.at("content-type"), "application/json");
  }
  for (const auto& req : mattermost.requests())
    EXPECT_EQ(json::parse(req.body)["username"], "bluegreen") << req.body;
  for (const auto& req : discord.requests()) {
    json body = json::parse(req.body);
    EXPECT_EQ(body["allowed_mentions"], json({{"parse", json::array()}})) << req.body;
    EXPECT_LE(body["content"].get<std::string>().size(), 2000u * 4);
  }
  // The generic webhook: signed, named, with the operation.
  std::set<std::string> events;
  for (const auto& req : hook.requests()) {
    ASSERT_TRUE(req.headers.count("x-bluegreen-signature-256")) << req.body;
    EXPECT_EQ(req.headers.at("x-bluegreen-signature-256"),
              "sha256=" + hmac_hex(kHookSecret, req.body));
    json body = json::parse(req.body);
    EXPECT_EQ(req.headers.at("x-bluegreen-event"), body["event"]);
    EXPECT_EQ(body["app"], "demo");
    EXPECT_TRUE(body["operation"].is_object()) << req.body;
    EXPECT_TRUE(body["id"].get<std::string>().starts_with("event-"));
    events.insert(body["event"]);
    if (body["event"] == "rollback.automatic") {
      EXPECT_EQ(body["operation"]["actor"], "watch");
      EXPECT_EQ(body["operation"]["channel"], "system");
    }
  }
  for (const char* e :
       {"deploy.started", "deploy.ready", "switch", "deploy.succeeded", "rollback.automatic"})
    EXPECT_TRUE(events.count(e)) << e;
  // The URLs are credentials: never in the log.
  std::string log = w.daemon().stderr_text();
  for (const char* path : {"/services/T000/B000/XXXX", "/hooks/abc123", "/api/webhooks/1/token"})
    EXPECT_EQ(log.find(path), std::string::npos) << path;
}

TEST(Notifications, A429IsRetriedAfterRetryAfterReloadsRereadTargetsAndAStopEndsRetries) {
  temp_dir secrets;
  http_receiver hook;
  hook.answer_next({429, {{"Retry-After", "1"}}, R"({"message":"slow down","retry_after":1.0})"});
  auto hook_url = secrets.write("hook-url", hook.url("/first-secret-path"));
  world_options o;
  o.extra_config = "\n[outbound]\nallow = [\"127.0.0.1\"]\n\n" +
                   target("ops-hook", "webhook", hook_url, "events = [\"lock\", \"unlock\"]\n");
  world w(o);
  ASSERT_EQ(w.api("POST", "/api/v1/apps/demo/lock", R"({"reason": "release freeze"})").status, 201);
  ASSERT_TRUE(hook.wait_for(2, 60s));
  ASSERT_EQ(w.api("DELETE", "/api/v1/apps/demo/lock").status, 200);
  ASSERT_TRUE(hook.wait_for(3, 60s));
  auto got = hook.requests();
  ASSERT_EQ(got.size(), 3u);
  // The refused one came again, unchanged, and the next waited for it.
  EXPECT_EQ(got[0].body, got[1].body);
  EXPECT_EQ(json::parse(got[1].body)["event"], "lock");
  EXPECT_NE(json::parse(got[1].body)["text"].get<std::string>().find("release freeze"),
            std::string::npos);
  EXPECT_EQ(json::parse(got[2].body)["event"], "unlock");
  // Unsigned: no secret was configured.
  EXPECT_FALSE(got[1].headers.count("x-bluegreen-signature-256"));
  EXPECT_NE(w.daemon().stderr_text().find("not delivered (HTTP 429); trying again in 1.0s"),
            std::string::npos);

  // A reload reads the URLs again: the target's new URL gets the next
  // message; a target whose URL cannot be read is named in the log and
  // skipped, and the others go on.
  http_receiver moved;
  secrets.write("hook-url", moved.url("/second-secret-path"));
  auto config_file = w.root() / "bluegreen.toml";
  std::ofstream(config_file, std::ios::app) << target("broken", "slack", secrets / "no-such-file");
  w.daemon().signal(SIGHUP);
  ASSERT_TRUE(w.daemon().wait_for_stderr("configuration reloaded", 30s));
  ASSERT_EQ(w.api("POST", "/api/v1/apps/demo/lock", R"({"reason": "again"})").status, 201);
  ASSERT_TRUE(moved.wait_for(1, 60s));
  EXPECT_EQ(moved.requests()[0].target, "/second-secret-path");
  EXPECT_EQ(hook.requests().size(), 3u);
  std::string log = w.daemon().stderr_text();
  EXPECT_NE(log.find("notification target broken: "), std::string::npos) << log;

  // A receiver that keeps failing is retried until the daemon stops; the
  // stop does not wait for it.
  moved.answer_with([](const received_request&) { return receiver_answer{503, {}, "down"}; });
  ASSERT_EQ(w.api("DELETE", "/api/v1/apps/demo/lock").status, 200);
  ASSERT_TRUE(w.daemon().wait_for_stderr("not delivered (HTTP 503); trying again", 60s));
  w.daemon().signal(SIGTERM);
  auto status = w.daemon().wait_exit(60s);
  ASSERT_TRUE(status) << "still running after SIGTERM";
  EXPECT_EQ(*status, 0);
  log = w.daemon().stderr_text();
  EXPECT_NE(log.find("gave up on unlock of demo"), std::string::npos) << log;
  EXPECT_NE(log.find("the daemon is stopping"), std::string::npos) << log;
  for (const char* path : {"first-secret-path", "second-secret-path"})
    EXPECT_EQ(log.find(path), std::string::npos) << path;
}

TEST(Notifications, TheNotDeployedAlertFiresOnceAtItsTimeAndNotAgainAfterARestart) {
  temp_dir secrets;
  http_receiver hook;
  auto hook_url = secrets.write("hook-url", hook.url("/in"));
  world_options o;
  // Two hours ago: the app was never deployed then, so nothing is due.
  std::string first_time = local_time_of_day(-2h);
  o.extra_config =
      "  [app.notify]\n  not_deployed_for = \"1s\"\n"
      "\n[outbound]\nallow = [\"127.0.0.1\"]\n\n"
      "[notify]\nnot_deployed_at = \"" +
      first_time + "\"\n" +
      target("ops-hook", "webhook", hook_url, "events = [\"not_deployed\", \"lock\"]\n");
  world w(o);
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");

  // A few seconds from now, the deploy is older than a second: due then.
  auto config_file = w.root() / "bluegreen.toml";
  std::string text = read_file(config_file);
  text = std::regex_replace(text, std::regex("not_deployed_at = \"[0-9:]+\""),
                            "not_deployed_at = \"" + local_time_of_day(3s) + "\"");
  std::ofstream(config_file, std::ios::trunc) << text;
  w.daemon().signal(SIGHUP);
  ASSERT_TRUE(hook.wait_for(1, 60s)) << w.daemon().stderr_text();
  json alert = json::parse(hook.requests()[0].body);
  EXPECT_EQ(alert["event"], "not_deployed");
  EXPECT_EQ(alert["app"], "demo");
  EXPECT_TRUE(alert["operation"].is_null());
  std::string words = alert["text"];
  EXPECT_NE(words.find("demo has not been deployed for"), std::string::npos) << words;
  EXPECT_NE(words.find("on green"), std::string::npos) << words;

  // After a restart the day's alert is remembered: the lock that follows
  // it is the next thing the receiver gets.
  w.kill_daemon();
  w.start_daemon();
  ASSERT_EQ(w.api("POST", "/api/v1/apps/demo/lock", R"({"reason": "checking"})").status, 201);
  ASSERT_TRUE(hook.wait_until(
      [](const received_request& r) {
        return r.body.find("\"event\":\"lock\"") != std::string::npos;
      },
      60s));
  int alerts = 0;
  for (const auto& r : hook.requests())
    if (json::parse(r.body)["event"] == "not_deployed") ++alerts;
  EXPECT_EQ(alerts, 1);
}

}  // namespace

// The negative of the allowance the tests above give: without it, the same
// loopback receiver gets no connection at all, and the log says which
// target and what to add, never its URL.
TEST(Notifications, ALoopbackTargetWithoutAnOutboundAllowanceGetsNothingAndTheLogSaysWhatToAdd) {
  temp_dir secrets;
  http_receiver hook;
  auto hook_url = secrets.write("hook-url", hook.url("/services/T000/very-secret-path"));
  world_options o;
  o.extra_config = "\n" + target("ops-hook", "webhook", hook_url);
  world w(o);
  w.commit_version("2.0.0");
  auto deployed = w.deploy("main");
  ASSERT_EQ(deployed["state"], "ready");
  // deploy.ready is the operation's last notification: the queue is in order.
  ASSERT_TRUE(
      w.daemon().wait_for_stderr("notification target ops-hook: gave up on deploy.ready", 60s))
      << w.daemon().stderr_text();
  EXPECT_EQ(hook.connections(), 0u);
  EXPECT_TRUE(hook.requests().empty());
  std::string log = w.daemon().stderr_text();
  EXPECT_NE(log.find("add \"127.0.0.1\" to [outbound] allow"), std::string::npos) << log;
  EXPECT_EQ(log.find("very-secret-path"), std::string::npos) << log;
  EXPECT_EQ(log.find("T000"), std::string::npos) << log;
}
