// POST /hooks/github in process: who is let in (the secret as loaded now),
// what a delivery must carry, ping, and a delivery acted on only once.
// The push's deploy end to end is in tests/integration/github_hook_test.cpp.
#include "api/github_routes.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "api/hmac_signature.hpp"
#include "daemon/engine/task_group.hpp"
#include "daemon/hook_secrets.hpp"
#include "storage/audit_repository.hpp"
#include "storage/delivery_repository.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/file_gate.hpp"

namespace bluegreen::api {
namespace {

using nlohmann::json;

class GithubRoute : public ::testing::Test {
 protected:
  GithubRoute() {
    std::ofstream(dir_ / "github-secret") << "It's a Secret to Everybody\n";
    std::ifstream example(BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml");
    std::string text((std::istreambuf_iterator<char>(example)), std::istreambuf_iterator<char>());
    std::ofstream(dir_ / "without.toml") << text;
    std::ofstream(dir_ / "with.toml") << text << "\n[github]\nsecret = { file = \""
                                      << (dir_ / "github-secret").string() << "\" }\n";
  }

  void load_secrets(const std::string& file) {
    auto loaded = daemon::load_config(dir_ / file);
    ASSERT_TRUE(loaded.value);
    secrets_.load(*loaded.value);
  }

  response deliver(const std::string& body, const std::string& event = "ping",
                   const std::string& delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958",
                   std::optional<std::string> signature = std::nullopt) {
    request req;
    req.method = "POST";
    req.target = "/hooks/github";
    req.body = body;
    req.headers["content-type"] = "application/json";
    req.headers["x-github-event"] = event;
    if (!delivery.empty()) req.headers["x-github-delivery"] = delivery;
    req.headers["x-hub-signature-256"] =
        signature.value_or("sha256=" + hmac_sha256_hex("It's a Secret to Everybody", body));
    return stack_.call(req);
  }

  static json body(const response& r) { return json::parse(r.body); }
  std::size_t audit_size() {
    return storage::audit_repository(*stack_.db).list(1000, {}, {}).size();
  }

  testing::temp_dir dir_;
  testing::api_stack stack_{BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml"};
  daemon::hook_secrets secrets_;
  engine::task_group tasks_{stack_.io};
  bool added_ = [this] {
    add_github_routes(*stack_.app, *stack_.core, *stack_.db, secrets_, tasks_, {});
    return true;
  }();
};

TEST_F(GithubRoute, WithoutASecretEveryDeliveryIsRefusedSayingWhatToConfigure) {
  load_secrets("without.toml");
  auto r = deliver(R"({"zen": "Keep it logically awesome."})");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(body(r)["error"]["code"], "not_configured");
  EXPECT_NE(body(r)["error"]["message"].get<std::string>().find("[github] secret"),
            std::string::npos);
}

TEST_F(GithubRoute, TheSecretIsTheOneLoadedNow) {
  load_secrets("with.toml");
  // GitHub's published example verifies: past the signature, the body
  // is refused only for not being JSON.
  auto example = deliver("Hello, World!", "push", "1",
                         "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  EXPECT_EQ(example.status, 400) << example.body;
  EXPECT_EQ(body(example)["error"]["code"], "invalid_payload");
  EXPECT_EQ(deliver("{}").status, 200);
  // A new secret after a reload: what the old one signed is refused.
  std::ofstream(dir_ / "github-secret") << "a new secret\n";
  load_secrets("with.toml");
  auto refused = deliver("{}", "ping", "2");
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_EQ(refused.body.find("Secret to Everybody"), std::string::npos);
  // Removed from the configuration: refused as not configured.
  load_secrets("without.toml");
  EXPECT_EQ(deliver("{}", "ping", "3").status, 404);
}

TEST_F(GithubRoute, ADeliveryNeedsItsIdAndEvent) {
  load_secrets("with.toml");
  auto no_id = deliver("{}", "ping", "");
  EXPECT_EQ(no_id.status, 400) << no_id.body;
  EXPECT_EQ(body(no_id)["error"]["code"], "invalid_delivery");
  EXPECT_NE(body(no_id)["error"]["message"].get<std::string>().find("X-GitHub-Delivery"),
            std::string::npos);
  EXPECT_EQ(deliver("{}", "ping", "not a guid\n").status, 400);
  auto no_event = deliver("{}", "");
  EXPECT_EQ(no_event.status, 400) << no_event.body;
  EXPECT_EQ(body(no_event)["error"]["code"], "invalid_event");
}

TEST_F(GithubRoute, PingIsAnsweredAndARedeliveryDoesNothing) {
  load_secrets("with.toml");
  auto before = audit_size();
  auto ping = deliver(R"({"zen": "Design for failure.", "hook_id": 1})");
  EXPECT_EQ(ping.status, 200) << ping.body;
  EXPECT_EQ(body(ping)["ok"], true);
  auto again = deliver(R"({"zen": "Design for failure.", "hook_id": 1})");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(body(again)["already_handled"], true);
  EXPECT_EQ(audit_size(), before);
}

TEST_F(GithubRoute, OtherEventsAreIgnoredWithTheirReason) {
  load_secrets("with.toml");
  auto r = deliver(R"({"action": "opened"})", "issues");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(body(r)["ignored"].get<std::string>().find("'issues'"), std::string::npos);
}

TEST_F(GithubRoute, APushOfAnUnconfiguredRepositoryIsIgnored) {
  load_secrets("with.toml");
  std::string push = R"({"ref": "refs/heads/main",
    "after": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    "repository": {"full_name": "someone/else"}, "pusher": {"name": "mallory"}})";
  auto r = deliver(push, "push");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(body(r)["ignored"].get<std::string>().find("no app deploys repository someone/else"),
            std::string::npos);
  auto bad = deliver(R"({"ref": 1})", "push", "another");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(body(bad)["error"]["code"], "invalid_payload");
}

// A configuration with the secret "s3cret" and one app, "slow", deployed
// by pushes to main of acme/slow, whose load balancer is read with
// `current_command`.
std::filesystem::path slow_app_config(const testing::temp_dir& dir,
                                      const std::string& current_command) {
  std::ofstream(dir / "github-secret") << "s3cret\n";
  std::ofstream(dir / "bluegreen.toml")
      << "[ssh]\nidentity = \"/k\"\n[github]\nsecret = { file = \""
      << (dir / "github-secret").string()
      << "\" }\n[[app]]\nname = \"slow\"\npublic_url = \"https://example.com\"\n"
         "  [app.blue]\n  hosts = [\"deploy@10.0.0.2\"]\n  url = \"http://10.0.0.2:8000\"\n"
         "  [app.green]\n  hosts = [\"deploy@10.0.0.3\"]\n  url = \"http://10.0.0.3:8000\"\n"
         "  [app.deploy]\n  steps = [\"true\"]\n  resolve = \"echo {ref}\"\n"
         "  [app.traffic]\n  backend = \"command\"\n  switch_command = \"true\"\n"
         "  current_command = \""
      << current_command << "\"\n  [app.github]\n  repository = \"acme/slow\"\n";
  return dir / "bluegreen.toml";
}

// A push to main of acme/slow by `pusher` (a JSON string), signed.
request slow_push(const std::string& delivery, const std::string& pusher = "\"alice\"") {
  std::string push = R"({"ref": "refs/heads/main",
    "after": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    "repository": {"full_name": "acme/slow"}, "pusher": {"name": )" +
                     pusher + "}}";
  request req;
  req.method = "POST";
  req.target = "/hooks/github";
  req.body = push;
  req.headers = {{"content-type", "application/json"},
                 {"x-github-event", "push"},
                 {"x-github-delivery", delivery},
                 {"x-hub-signature-256", "sha256=" + hmac_sha256_hex("s3cret", push)}};
  return req;
}

// GitHub waits 10 s for an answer: a deploy the engine has not answered
// within the bound is reported pending and goes on; its refusal, when it
// comes, is in the audit log.
TEST(GithubRouteBound, AnAnswerComesWithinTheBoundAndTheDeployGoesOn) {
  testing::temp_dir dir;
  // Reading the load balancer waits at the gate, then fails.
  testing::file_gate gate(dir / "gate");
  testing::api_stack stack(slow_app_config(dir, gate.wait_command() + "; exit 3"));
  daemon::hook_secrets secrets;
  secrets.load(*stack.core->current_config());
  engine::task_group tasks(stack.io);
  add_github_routes(*stack.app, *stack.core, *stack.db, secrets, tasks,
                    {.answer_within = std::chrono::milliseconds(200)});

  auto r = stack.call(slow_push("slow-1"));
  ASSERT_EQ(r.status, 202) << r.body;
  auto answer = json::parse(r.body);
  EXPECT_EQ(answer["pending"], json::array({"slow"})) << r.body;
  EXPECT_TRUE(answer["deployments"].empty());

  gate.open();
  auto refused = [&] {
    for (const auto& e : storage::audit_repository(*stack.db).list(100))
      if (e.action == "github.push.refused") return std::optional(e);
    return std::optional<storage::audit_event>();
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  stack.io.restart();
  while (!refused() && std::chrono::steady_clock::now() < deadline)
    stack.io.run_one_for(std::chrono::milliseconds(100));
  auto event = refused();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->actor, "alice (GitHub delivery slow-1)");
  EXPECT_EQ(event->channel, "github");
  EXPECT_EQ(event->app, "slow");
  EXPECT_NE(event->detail->find("6113728f27ae82c7b1a177c8d03f9e96e0adf246"), std::string::npos);
  EXPECT_EQ(tasks.running(), 0u);
}

// The app "slow" of slow_app_config with the routes as the daemon adds
// them; its load balancer cannot be read.
class GithubSlowApp : public ::testing::Test {
 protected:
  GithubSlowApp() {
    secrets_.load(*stack_.core->current_config());
    add_github_routes(*stack_.app, *stack_.core, *stack_.db, secrets_, tasks_, {});
  }

  testing::temp_dir dir_;
  testing::api_stack stack_{slow_app_config(dir_, "exit 3")};
  daemon::hook_secrets secrets_;
  engine::task_group tasks_{stack_.io};
};

// The pusher's name is GitHub's to choose: the audit log (and the log, and
// every refusal that names who holds the app) gets it on one line, cut
// short between characters.
TEST_F(GithubSlowApp, APushersNameIsCutBetweenCharactersAndKeptOnOneLine) {
  ASSERT_TRUE(stack_.core->lock("slow", "release freeze", {"ops", "api"}));

  auto cut = stack_.call(slow_push("long-1", "\"" + std::string(99, 'a') + "\u00e9 and more\""));
  EXPECT_EQ(cut.status, 409) << cut.body;
  auto forged =
      stack_.call(slow_push("forged-1", R"("mallory\n2026-01-01T00:00:00.000 error: x")"));
  EXPECT_EQ(forged.status, 409) << forged.body;

  auto events = storage::audit_repository(*stack_.db).list(100);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[1].action, "github.push.refused");
  EXPECT_EQ(events[1].actor, std::string(99, 'a') + " (GitHub delivery long-1)");
  EXPECT_EQ(events[0].actor,
            "mallory\\n2026-01-01T00:00:00.000 error: x (GitHub delivery forged-1)");
}

// A configured secret whose file cannot be read is not "not configured":
// the operator is told to fix the file, as chat's routes tell.
TEST_F(GithubSlowApp, AnUnreadableSecretIsRefusedAsUnavailable) {
  std::filesystem::remove(dir_ / "github-secret");
  secrets_.load(*stack_.core->current_config());
  auto r = stack_.call(slow_push("unreadable-1"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "secret_unavailable") << r.body;
  EXPECT_NE(r.body.find("could not read"), std::string::npos) << r.body;
}

// A push every app refused is not remembered: once the lock is gone,
// GitHub's "Redeliver" of the same delivery is acted on, not answered
// "already handled".
TEST_F(GithubSlowApp, APushNoAppTookIsActedOnWhenRedelivered) {
  ASSERT_TRUE(stack_.core->lock("slow", "release freeze", {"ops", "api"}));
  auto locked = stack_.call(slow_push("refused-1"));
  ASSERT_EQ(locked.status, 409) << locked.body;
  EXPECT_EQ(json::parse(locked.body)["refused"][0]["code"], "locked") << locked.body;
  ASSERT_TRUE(stack_.core->unlock("slow", {"ops", "api"}));

  auto again = stack_.call(slow_push("refused-1"));
  EXPECT_FALSE(json::parse(again.body).contains("already_handled")) << again.body;
  // This app's load balancer cannot be read: refused again, for that.
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(json::parse(again.body)["refused"][0]["code"], "locked") << again.body;
}

// A push that arrives while the daemon stops (its request was being read)
// runs nothing, and its redelivery once the daemon is back still deploys.
TEST_F(GithubSlowApp, APushDuringAStopIsRefusedAndNotRemembered) {
  tasks_.stop();

  auto r = stack_.call(slow_push("during-stop"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "stopping") << r.body;
  EXPECT_NE(r.body.find("redeliver"), std::string::npos) << r.body;
  EXPECT_TRUE(storage::delivery_repository(*stack_.db)
                  .remember("github", "during-stop", "2026-01-01T00:00:00.000Z",
                            "2099-01-01T00:00:00.000Z"));
}

}  // namespace
}  // namespace bluegreen::api
