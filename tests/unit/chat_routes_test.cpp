// The chat routes in process: what /hooks/slack and /hooks/mattermost answer
// when they are not configured, when their secret cannot be read, and to
// commands that run nothing (help, status, bad text, a body that is not a
// form). End to end with deploys: tests/integration/chat_test.cpp.
#include "api/chat_routes.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/slack_signature.hpp"
#include "daemon/chat/chat_service.hpp"
#include "daemon/hook_secrets.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::api {
namespace {

using nlohmann::json;

const std::string kExample = BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml";
const std::string kSecret = "slack-secret-for-tests";
const std::string kToken = "mattermost-token-for-tests";

// The example configuration, and `extra` after it.
std::filesystem::path config_with(const testing::temp_dir& dir, const std::string& extra) {
  return dir.write("bluegreen.toml", testing::read_file(kExample) + "\n" + extra);
}

struct chat_stack {
  explicit chat_stack(const std::filesystem::path& config)
      : stack(config), chat(stack.io, *stack.core) {
    secrets.load(*stack.core->current_config());
    add_chat_routes(*stack.app, chat, *stack.core, secrets, *stack.db);
  }

  response slack(const std::string& body, bool sign = true) {
    request req;
    req.method = "POST";
    req.target = "/hooks/slack";
    req.body = body;
    if (sign) {
      std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
      req.headers["x-slack-request-timestamp"] = ts;
      req.headers["x-slack-signature"] = slack_signature(kSecret, ts, body);
    }
    return stack.call(req);
  }

  response mattermost(const std::string& body, const std::string& token = kToken) {
    request req;
    req.method = "POST";
    req.target = "/hooks/mattermost";
    req.body = body;
    req.headers["authorization"] = "Token " + token;
    return stack.call(req);
  }

  testing::api_stack stack;
  daemon::hook_secrets secrets;
  chat::chat_service chat;
};

std::string command(const std::string& text, const std::string& user = "U1") {
  return "team_id=T1&user_id=" + user + "&user_name=alice&command=%2Fdeploy&text=" + text +
         "&response_url=";
}

json reply_of(const response& r) {
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  return json::parse(r.body);
}

TEST(ChatRoutes, UnconfiguredRoutesSayWhatToConfigure) {
  chat_stack s(kExample);
  auto slack = s.slack(command("help"));
  EXPECT_EQ(slack.status, 404) << slack.body;
  EXPECT_EQ(json::parse(slack.body)["error"]["code"], "not_configured");
  EXPECT_NE(slack.body.find("[chat.slack] signing_secret"), std::string::npos) << slack.body;
  auto mm = s.mattermost(command("help"));
  EXPECT_EQ(mm.status, 404) << mm.body;
  EXPECT_NE(mm.body.find("[chat.mattermost] token"), std::string::npos) << mm.body;
}

TEST(ChatRoutes, AnUnreadableSecretIs503AndNamesTheKey) {
  testing::temp_dir dir;
  chat_stack s(config_with(
      dir, "[chat.slack]\nsigning_secret = { file = \"" + (dir / "absent").string() + "\" }\n"));
  auto r = s.slack(command("help"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "secret_unavailable");
  EXPECT_NE(r.body.find("[chat.slack] signing_secret"), std::string::npos) << r.body;
}

class ChatRoutesConfigured : public ::testing::Test {
 protected:
  ChatRoutesConfigured()
      : s_(config_with(dir_, "[chat.slack]\nsigning_secret = { file = \"" +
                                 dir_.write("slack", kSecret + "\n").string() +
                                 "\" }\n[chat.mattermost]\ntoken = { file = \"" +
                                 dir_.write("mattermost", kToken).string() + "\" }\n" + kRules)) {}

  static constexpr const char* kRules =
      "[[chat.allow]]\nplatform = \"slack\"\nteams = [\"T1\"]\nusers = [\"U1\"]\n"
      "[[chat.allow]]\nplatform = \"mattermost\"\nteams = [\"T1\"]\nusers = [\"U1\"]\n";

  testing::temp_dir dir_;
  chat_stack s_;
};

TEST_F(ChatRoutesConfigured, HelpStatusAndMistakesAreAnsweredOnlyToTheCaller) {
  auto audited = s_.stack.core->events(100, std::nullopt, std::nullopt).size();
  auto help = reply_of(s_.slack(command("help")));
  EXPECT_EQ(help["response_type"], "ephemeral");
  EXPECT_NE(help["text"].get<std::string>().find("`/deploy status [app]`"), std::string::npos);

  auto status = reply_of(s_.slack(command("status+keepthescore")));
  EXPECT_EQ(status["response_type"], "ephemeral");
  EXPECT_NE(status["text"].get<std::string>().find("keepthescore"), std::string::npos);

  auto unknown = reply_of(s_.slack(command("status+nosuchapp")));
  EXPECT_EQ(unknown["response_type"], "ephemeral");
  EXPECT_NE(unknown["text"].get<std::string>().find("No app named \"nosuchapp\""),
            std::string::npos);
  EXPECT_NE(unknown["text"].get<std::string>().find("keepthescore"), std::string::npos);

  auto bad = reply_of(s_.mattermost(command("switch+keepthescore+red")));
  EXPECT_EQ(bad["response_type"], "ephemeral");
  EXPECT_NE(bad["text"].get<std::string>().find("\"red\" is not a colour"), std::string::npos);
  EXPECT_NE(bad["text"].get<std::string>().find("Usage:"), std::string::npos);

  // Nothing of this is in the audit log.
  EXPECT_EQ(s_.stack.core->events(100, std::nullopt, std::nullopt).size(), audited);
}

TEST_F(ChatRoutesConfigured, ALockFromChatIsTheAppsLockWithTheChatUserAsHolder) {
  auto audited = s_.stack.core->events(100, std::nullopt, std::nullopt).size();
  auto locked = reply_of(s_.mattermost(command("lock+keepthescore+release+freeze")));
  EXPECT_EQ(locked["response_type"], "in_channel");
  auto view = s_.stack.core->app("keepthescore");
  ASSERT_TRUE(view && view->manual_lock);
  EXPECT_EQ(view->manual_lock->holder, "alice (U1)");
  EXPECT_EQ(view->manual_lock->reason, "release freeze");
  // A deploy is refused by the lock as the API's is, only to the caller.
  auto refused = reply_of(s_.slack(command("keepthescore+main")));
  EXPECT_EQ(refused["response_type"], "ephemeral");
  EXPECT_NE(refused["text"].get<std::string>().find("lock"), std::string::npos) << refused["text"];
  auto unlocked = reply_of(s_.slack(command("unlock+keepthescore")));
  EXPECT_EQ(unlocked["response_type"], "in_channel");
  EXPECT_FALSE(s_.stack.core->app("keepthescore")->manual_lock);
  auto events = s_.stack.core->events(100, std::nullopt, std::nullopt);
  ASSERT_EQ(events.size(), audited + 2);
  EXPECT_EQ(events[0].channel, "slack");
  EXPECT_EQ(events[1].channel, "mattermost");
  EXPECT_EQ(events[1].actor, "alice (U1)");
}

// A lock reason is the user's text, shown again in every status and
// refusal: it cannot ping the channel or show a link, in either chat.
TEST_F(ChatRoutesConfigured, QuotedTextCannotMentionEveryoneOrLink) {
  auto locked = reply_of(s_.slack(
      command("lock+keepthescore+%3C%21channel%3E+%3Chttps%3A%2F%2Fevil%7Cclick%3E+%40all")));
  EXPECT_EQ(locked["response_type"], "in_channel");
  auto in_slack = locked["text"].get<std::string>();
  EXPECT_NE(in_slack.find("&lt;!channel&gt; &lt;https://evil|click&gt; @all"), std::string::npos)
      << in_slack;
  EXPECT_EQ(in_slack.find("<!channel>"), std::string::npos) << in_slack;
  // The daemon's own markup is untouched.
  EXPECT_NE(in_slack.find("`/deploy unlock keepthescore`"), std::string::npos) << in_slack;
  auto status = reply_of(s_.mattermost(command("status+keepthescore")))["text"].get<std::string>();
  EXPECT_NE(status.find("<!channel> <https://evil|click> @\u200ball"), std::string::npos) << status;
  EXPECT_EQ(status.find("@all"), std::string::npos) << status;
}

// Whoever holds Mattermost's one token may write any team and user ids in
// the form; a rule for Slack's signed ids never lets them in.
TEST(ChatRoutes, ARuleForSlackDoesNotAllowTheSameIdsFromMattermost) {
  testing::temp_dir dir;
  chat_stack s(config_with(dir, "[chat.slack]\nsigning_secret = { file = \"" +
                                    dir.write("slack", kSecret).string() +
                                    "\" }\n[chat.mattermost]\ntoken = { file = \"" +
                                    dir.write("mattermost", kToken).string() +
                                    "\" }\n[[chat.allow]]\nplatform = \"slack\"\n"
                                    "teams = [\"T1\"]\nusers = [\"U1\"]\n"));
  auto from_slack = reply_of(s.slack(command("lock+keepthescore+freeze")));
  EXPECT_EQ(from_slack["response_type"], "in_channel") << from_slack;
  auto from_mattermost = reply_of(s.mattermost(command("unlock+keepthescore")));
  EXPECT_EQ(from_mattermost["response_type"], "ephemeral");
  EXPECT_NE(from_mattermost["text"].get<std::string>().find("Not allowed: mattermost user U1"),
            std::string::npos)
      << from_mattermost;
  EXPECT_TRUE(s.stack.core->app("keepthescore")->manual_lock);
}

// A daemon with no apps yet: status of every app, allowed by a rule for
// every app, says so.
TEST(ChatRoutes, StatusWithNoAppsConfiguredSaysSo) {
  testing::temp_dir dir;
  std::string base = testing::read_file(kExample);
  base = base.substr(0, base.find("[[app]]"));
  auto config = dir.write("bluegreen.toml", base + "[chat.slack]\nsigning_secret = { file = \"" +
                                                dir.write("slack", kSecret).string() +
                                                "\" }\n[[chat.allow]]\nplatform = \"slack\"\n"
                                                "users = [\"*\"]\n");
  chat_stack s(config);
  auto status = reply_of(s.slack(command("status")));
  EXPECT_EQ(status["response_type"], "ephemeral");
  EXPECT_NE(status["text"].get<std::string>().find("no apps"), std::string::npos) << status;
}

// The user's name is the chat's to choose; the lock's holder (which every
// refusal quotes, in answers and in the daemon's log) and the audit log get
// it on one line, cut short between characters.
TEST_F(ChatRoutesConfigured, AChatUsersNameIsKeptOnOneLineAndCutShort) {
  auto locked = reply_of(
      s_.slack("team_id=T1&user_id=U1&user_name=eve%0A2026-01-01T00%3A00%3A00.000+error%3A+x"
               "&command=%2Fdeploy&text=lock+keepthescore+freeze&response_url="));
  EXPECT_EQ(locked["response_type"], "in_channel") << locked;
  auto view = s_.stack.core->app("keepthescore");
  ASSERT_TRUE(view && view->manual_lock);
  EXPECT_EQ(view->manual_lock->holder, "eve\\n2026-01-01T00:00:00.000 error: x (U1)");
  EXPECT_EQ(s_.stack.core->events(1, std::nullopt, std::nullopt)[0].actor,
            view->manual_lock->holder);

  std::string long_name = std::string(99, 'b') + "%C3%A9" + std::string(300, 'b');
  reply_of(s_.slack("team_id=T1&user_id=U1&user_name=" + long_name +
                    "&command=%2Fdeploy&text=unlock+keepthescore&response_url="));
  EXPECT_EQ(s_.stack.core->events(1, std::nullopt, std::nullopt)[0].actor,
            std::string(99, 'b') + " (U1)");
}

TEST_F(ChatRoutesConfigured, OthersMayAskForHelpOnlyAndEveryRefusalIsAudited) {
  auto audited = s_.stack.core->events(100, std::nullopt, std::nullopt).size();
  auto help = reply_of(s_.slack(command("help", "U9")));
  EXPECT_NE(help["text"].get<std::string>().find("Usage:"), std::string::npos);
  for (std::string text :
       {"status", "status+keepthescore", "keepthescore", "unlock+keepthescore"}) {
    auto refused = reply_of(s_.slack(command(text, "U9")));
    EXPECT_EQ(refused["response_type"], "ephemeral");
    EXPECT_NE(
        refused["text"].get<std::string>().find("Not allowed: slack user U9 (alice) of team T1"),
        std::string::npos)
        << refused["text"];
  }
  auto events = s_.stack.core->events(100, std::nullopt, std::nullopt);
  ASSERT_EQ(events.size(), audited + 4);
  EXPECT_EQ(events[0].action, "chat.refused");
  EXPECT_EQ(events[0].actor, "alice (U9)");
  EXPECT_EQ(events[0].app, "keepthescore");
  EXPECT_FALSE(events[3].app);  // status of every app
  EXPECT_NE(events[3].detail.value_or("").find("status (every app)"), std::string::npos);
}

TEST_F(ChatRoutesConfigured, ABodyThatIsNotAFormIsRefusedAndSlacksCertificateCheckAnswered) {
  auto bad = s_.slack("text=%zz");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(json::parse(bad.body)["error"]["code"], "invalid_form");
  auto check = s_.slack("ssl_check=1&token=x", false);
  EXPECT_EQ(check.status, 200) << check.body;
  EXPECT_TRUE(check.body.empty());
  auto unsigned_command = s_.slack(command("help"), false);
  EXPECT_EQ(unsigned_command.status, 401) << unsigned_command.body;
}

}  // namespace
}  // namespace bluegreen::api
