// The configuration of chat-ops, the GitHub webhook, outbound allowances and
// notifications, and the storage of hook deliveries and sent alerts.
#include <gtest/gtest.h>

#include "daemon/config.hpp"
#include "storage/alert_repository.hpp"
#include "storage/database.hpp"
#include "storage/delivery_repository.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::daemon {
namespace {

using namespace std::chrono_literals;

const std::string kBase = R"([ssh]
identity = "/var/lib/bluegreen/id_ed25519"

[[app]]
name = "web"
public_url = "https://example.com"
  [app.blue]
  hosts = ["deploy@10.0.0.2"]
  url = "http://10.0.0.2:8000"
  [app.green]
  hosts = ["deploy@10.0.0.3"]
  url = "http://10.0.0.3:8000"
  [app.deploy]
  steps = ["true"]
  resolve = "git rev-parse {ref}"
  default_ref = "trunk"
  [app.traffic]
  backend = "nginx"
  upstream_file = "/etc/nginx/bluegreen/web.conf"
  upstream_name = "web"
)";

std::string errors_of(const config_result& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out;
}

TEST(ConfigHooks, EverySectionIsRead) {
  auto r = parse_config(kBase + R"(
  [app.github]
  repository = "Acme/Web"
  [app.notify]
  not_deployed_for = "14d"

[chat.slack]
signing_secret = { file = "/etc/bluegreen/slack" }
[chat.mattermost]
token = { credential = "mattermost" }
[[chat.allow]]
platform = "slack"
teams = ["T1"]
users = ["U1", "U2"]
actions = ["deploy", "status"]
apps = ["web"]
[[chat.allow]]
platform = "mattermost"
users = ["*"]

[github]
secret = { file = "/etc/bluegreen/github" }
max_body_bytes = 2097152

[outbound]
allow = ["mattermost.lan", "10.0.0.0/8", "127.0.0.1", "fd00::/8"]

[notify]
not_deployed_at = "08:30:15"
[[notify.target]]
name = "team"
kind = "discord"
url = { file = "/etc/bluegreen/discord-url" }
events = ["deploy.failed", "rollback.automatic"]
[[notify.target]]
name = "audit"
kind = "webhook"
url = { file = "/etc/bluegreen/hook-url" }
secret = { file = "/etc/bluegreen/hook-key" }
)",
                        "t.toml");
  ASSERT_TRUE(r.value) << errors_of(r);
  const config& c = *r.value;
  ASSERT_TRUE(c.apps[0].github);
  EXPECT_EQ(c.apps[0].github->repository, "Acme/Web");
  EXPECT_EQ(c.apps[0].github->branch, "trunk");  // the app's default ref
  EXPECT_EQ(c.apps[0].notify.not_deployed_for, milliseconds(14 * 24h));
  ASSERT_TRUE(c.chat.slack_signing_secret);
  EXPECT_EQ(c.chat.slack_signing_secret->name, "/etc/bluegreen/slack");
  ASSERT_TRUE(c.chat.mattermost_token);
  EXPECT_EQ(c.chat.mattermost_token->from, secret_ref::source::credential);
  ASSERT_EQ(c.chat.allow.size(), 2u);
  EXPECT_EQ(c.chat.allow[0].actions, (std::vector<std::string>{"deploy", "status"}));
  EXPECT_TRUE(c.chat.allow[1].actions.empty());  // all
  EXPECT_EQ(c.chat.allow[0].platform, "slack");
  EXPECT_EQ(c.chat.allow[1].platform, "mattermost");
  EXPECT_EQ(c.github.max_body_bytes, 2097152u);
  EXPECT_EQ(c.outbound.allow.size(), 4u);
  EXPECT_EQ(c.notify.not_deployed_at, std::chrono::seconds(8 * 3600 + 30 * 60 + 15));
  ASSERT_EQ(c.notify.targets.size(), 2u);
  EXPECT_EQ(c.notify.targets[0].kind, notify_target::kind::discord);
  EXPECT_TRUE(c.notify.targets[1].secret);
}

TEST(ConfigHooks, DefaultsWhenAbsent) {
  auto r = parse_config(kBase, "t.toml");
  ASSERT_TRUE(r.value) << errors_of(r);
  EXPECT_FALSE(r.value->chat.slack_signing_secret);
  EXPECT_FALSE(r.value->github.secret);
  EXPECT_EQ(r.value->github.max_body_bytes, 5u * 1024 * 1024);
  EXPECT_EQ(r.value->notify.not_deployed_at, std::chrono::seconds(9 * 3600));
  EXPECT_FALSE(r.value->apps[0].github);
  EXPECT_FALSE(r.value->apps[0].notify.not_deployed_for);
}

struct bad_case {
  std::string text;
  std::string expected;  // part of the one error
};

TEST(ConfigHooks, MistakesAreNamedWithWhatToWrite) {
  const std::vector<bad_case> cases = {
      {"[chat.slack]\nsigning_secret = \"xoxb\"\n", "chat.slack.signing_secret: secrets are never"},
      {"[[chat.allow]]\nplatform = \"slack\"\nactions = [\"deploy\"]\n",
       "chat.allow[0].users: required key is missing"},
      {"[[chat.allow]]\nusers = [\"U1\"]\n",
       "chat.allow[0].platform: required key is missing: expected \"slack\" or \"mattermost\""},
      {"[[chat.allow]]\nplatform = \"teams\"\nusers = [\"U1\"]\n",
       "\"teams\" is not a chat: expected \"slack\" or \"mattermost\""},
      {"[[chat.allow]]\nplatform = \"slack\"\nusers = [\"U1\"]\nactions = [\"nuke\"]\n",
       "\"nuke\" is not one of"},
      {"[[chat.allow]]\nplatform = \"slack\"\nusers = [\"U1\"]\napps = [\"api\"]\n",
       "no app is named \"api\""},
      {"[github]\nmax_body_bytes = 2048\n", "github.secret: required key is missing"},
      {"[outbound]\nallow = [\"10.0.0.0/33\"]\n", "an IPv4 prefix is at most 32 bits"},
      {"[outbound]\nallow = [\"http://x\"]\n", "\"http://x\" is not a network"},
      {"[notify]\nnot_deployed_at = \"9am\"\n", "is not a time of day"},
      {"[[notify.target]]\nname = \"a\"\nkind = \"irc\"\nurl = { file = \"/u\" }\n",
       "\"irc\" is not a kind"},
      {"[[notify.target]]\nname = \"a\"\nkind = \"slack\"\nurl = \"https://hooks.slack.com/x\"\n",
       "notify.target[0].url: secrets are never"},
      {"[[notify.target]]\nname = \"a\"\nkind = \"slack\"\nurl = { file = \"/u\" }\nsecret = { "
       "file = \"/k\" }\n",
       "only a \"webhook\" target signs"},
      {"[[notify.target]]\nname = \"a\"\nkind = \"slack\"\nurl = { file = \"/u\" }\n"
       "[[notify.target]]\nname = \"a\"\nkind = \"discord\"\nurl = { file = \"/u\" }\n",
       "target \"a\" is defined twice"},
  };
  for (const auto& c : cases) {
    auto r = parse_config(kBase + c.text, "t.toml");
    EXPECT_FALSE(r.value) << c.text;
    ASSERT_EQ(r.errors.size(), 1u) << c.text << errors_of(r);
    EXPECT_NE(r.errors[0].to_string().find(c.expected), std::string::npos)
        << c.text << errors_of(r);
  }
  auto r = parse_config(kBase + "  [app.github]\n  repository = \"acme\"\n", "t.toml");
  ASSERT_EQ(r.errors.size(), 1u) << errors_of(r);
  EXPECT_NE(r.errors[0].to_string().find("app[0].github.repository: \"acme\" is not"),
            std::string::npos)
      << errors_of(r);
}

std::unique_ptr<storage::database> open_db(const std::filesystem::path& path) {
  std::string error;
  auto db = storage::database::open(path, {}, error);
  if (!db) ADD_FAILURE() << error;
  return db;
}

TEST(HookDeliveries, ARepeatIsRecognisedUntilItExpiresAndAfterReopening) {
  testing::temp_dir dir;
  {
    auto db = open_db(dir.path() / "state.db");
    storage::delivery_repository deliveries(*db);
    EXPECT_TRUE(
        deliveries.remember("github", "d1", "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z"));
    EXPECT_FALSE(
        deliveries.remember("github", "d1", "2026-01-02T00:00:00Z", "2026-02-01T00:00:00Z"));
    // Another source's key of the same text is its own.
    EXPECT_TRUE(deliveries.remember("slack", "d1", "2026-01-02T00:00:00Z", "2026-01-02T00:05:00Z"));
  }
  auto db = open_db(dir.path() / "state.db");
  storage::delivery_repository deliveries(*db);
  EXPECT_FALSE(deliveries.remember("github", "d1", "2026-01-03T00:00:00Z", "2026-02-02T00:00:00Z"));
  // Once expired, the same key counts as new again, and pruning removes it.
  EXPECT_TRUE(deliveries.remember("slack", "d1", "2026-01-02T00:06:00Z", "2026-01-02T00:11:00Z"));
  EXPECT_EQ(deliveries.remove_expired("2026-01-31T00:00:00Z"), 2);
  EXPECT_TRUE(deliveries.remember("github", "d1", "2026-01-31T00:00:00Z", "2026-03-01T00:00:00Z"));
}

TEST(AlertsSent, TheLastAlertOfEachAppAndKindIsKept) {
  testing::temp_dir dir;
  auto db = open_db(dir.path() / "state.db");
  storage::alert_repository alerts(*db);
  EXPECT_FALSE(alerts.last_sent("web", "not_deployed"));
  alerts.set_sent("web", "not_deployed", "2026-01-01T09:00:00Z");
  alerts.set_sent("web", "not_deployed", "2026-01-02T09:00:00Z");
  alerts.set_sent("api", "not_deployed", "2026-01-01T09:00:00Z");
  EXPECT_EQ(alerts.last_sent("web", "not_deployed"), "2026-01-02T09:00:00Z");
  EXPECT_EQ(alerts.last_sent("api", "not_deployed"), "2026-01-01T09:00:00Z");
  EXPECT_FALSE(alerts.last_sent("web", "other"));
}

}  // namespace
}  // namespace bluegreen::daemon
