// Chat commands: what a slash command's text asks for, who may ask it, and
// what the chat is told.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/chat/allow_rules.hpp"
#include "daemon/chat/command.hpp"
#include "daemon/chat/replies.hpp"

namespace bluegreen::chat {
namespace {

using daemon::colour;

command parsed(std::string_view text) {
  auto c = parse_command(text);
  EXPECT_TRUE(c) << text << ": " << (c ? "" : c.error().message);
  return c ? c.value() : command{};
}

std::string refused(std::string_view text) {
  auto c = parse_command(text);
  EXPECT_FALSE(c) << text;
  return c ? "" : c.error().message;
}

TEST(ChatCommand, DeployTakesAnAppAndOptionallyARef) {
  command c = parsed("demo main");
  EXPECT_EQ(c.action, action::deploy);
  EXPECT_EQ(c.app, "demo");
  EXPECT_EQ(c.ref, "main");
  c = parsed("  demo  ");
  EXPECT_EQ(c.action, action::deploy);
  EXPECT_EQ(c.app, "demo");
  EXPECT_FALSE(c.ref);
  c = parsed("deploy demo v1.2");
  EXPECT_EQ(c.action, action::deploy);
  EXPECT_EQ(c.ref, "v1.2");
  EXPECT_NE(refused("demo main extra").find("too many words"), std::string::npos);
  EXPECT_FALSE(parse_command("deploy"));
}

TEST(ChatCommand, HelpIsTheEmptyTextOrHelp) {
  EXPECT_EQ(parsed("").action, action::help);
  EXPECT_EQ(parsed(" \t\n").action, action::help);
  EXPECT_EQ(parsed("help").action, action::help);
  EXPECT_EQ(parsed("HELP").action, action::help);
  EXPECT_FALSE(parse_command("help me"));
}

TEST(ChatCommand, StatusOfOneAppOrAll) {
  command all = parsed("status");
  EXPECT_EQ(all.action, action::status);
  EXPECT_TRUE(all.app.empty());
  EXPECT_EQ(parsed("Status demo").app, "demo");
  EXPECT_FALSE(parse_command("status demo api"));
}

TEST(ChatCommand, SwitchWholeToAColourOrAShare) {
  command idle = parsed("switch demo");
  EXPECT_EQ(idle.action, action::switch_traffic);
  EXPECT_EQ(idle.app, "demo");
  EXPECT_FALSE(idle.to);
  EXPECT_FALSE(idle.weights);
  EXPECT_EQ(parsed("switch demo blue").to, colour::blue);
  command canary = parsed("switch demo green=10");
  ASSERT_TRUE(canary.weights);
  EXPECT_EQ(canary.weights->encode(), "blue:90,green:10");
  EXPECT_EQ(parsed("switch demo blue=25%").weights->encode(), "blue:25,green:75");
  EXPECT_EQ(parsed("switch demo green=100").weights->encode(), "green:100");
  EXPECT_EQ(parsed("switch demo green=0").weights->encode(), "blue:100");
  EXPECT_NE(refused("switch demo red").find("not a colour"), std::string::npos);
  for (std::string_view bad :
       {"switch demo green=101", "switch demo green=", "switch demo green=-1",
        "switch demo green=1x", "switch demo green=0010", "switch demo green=99999999999999999999"})
    EXPECT_NE(refused(bad).find("whole percent"), std::string::npos) << bad;
  EXPECT_FALSE(parse_command("switch"));
  EXPECT_FALSE(parse_command("switch demo green now"));
}

TEST(ChatCommand, LockKeepsTheWholeReason) {
  command c = parsed("lock demo  release freeze:  Friday  ");
  EXPECT_EQ(c.action, action::lock);
  EXPECT_EQ(c.app, "demo");
  EXPECT_EQ(c.reason, "release freeze:  Friday");
  EXPECT_FALSE(parse_command("lock demo"));
  EXPECT_FALSE(parse_command("lock"));
}

TEST(ChatCommand, RollbackUnlockAndCancelTakeOneApp) {
  EXPECT_EQ(parsed("rollback demo").action, action::rollback);
  EXPECT_EQ(parsed("unlock demo").action, action::unlock);
  EXPECT_EQ(parsed("cancel demo").action, action::cancel);
  for (std::string_view bad : {"rollback", "unlock", "cancel", "rollback demo now", "cancel a b"})
    EXPECT_NE(refused(bad).find("exactly one app"), std::string::npos) << bad;
}

TEST(ChatCommand, NoBreakSpacesSeparateWords) {
  command c = parsed(
      "switch\xC2\xA0"
      "demo\xC2\xA0green");
  EXPECT_EQ(c.app, "demo");
  EXPECT_EQ(c.to, colour::green);
}

TEST(ChatCommand, UsageNamesTheCommandAsTheChatCallsIt) {
  std::string u = usage("/ship");
  EXPECT_NE(u.find("`/ship switch <app> [colour | colour=percent]`"), std::string::npos);
  EXPECT_NE(u.find("`/ship lock <app> <reason>`"), std::string::npos);
  EXPECT_NE(usage("").find("`/deploy help`"), std::string::npos);
}

TEST(ChatCommand, SlackEscapesAreUndone) {
  EXPECT_EQ(unescape_slack("a &amp; b &lt;c&gt; &amp;lt;"), "a & b <c> &lt;");
  EXPECT_EQ(unescape_slack("&am"), "&am");
}

daemon::chat_rule rule(std::vector<std::string> teams, std::vector<std::string> users,
                       std::vector<std::string> actions = {}, std::vector<std::string> apps = {},
                       std::string platform = "slack") {
  return daemon::chat_rule{std::move(platform), std::move(teams), std::move(users),
                           std::move(actions), std::move(apps)};
}

const caller kAlice{"T1", "U1", "alice"};
const caller kBob{"T1", "U2", "bob"};
const caller kMallory{"T9", "U1", "mallory"};

TEST(ChatAllowRules, NoRulesAllowOnlyHelp) {
  EXPECT_TRUE(allows({}, platform::slack, kAlice, action::help, ""));
  EXPECT_FALSE(allows({}, platform::slack, kAlice, action::status, "demo"));
  auto why = refusal({}, platform::slack, kAlice, action::deploy, "demo");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("no [[chat.allow]] rule is configured"), std::string::npos) << *why;
}

TEST(ChatAllowRules, ARuleNamesTeamsUsersActionsAndApps) {
  std::vector rules = {rule({"T1"}, {"U1"}, {"deploy", "status"}, {"demo"})};
  EXPECT_TRUE(allows(rules, platform::slack, kAlice, action::deploy, "demo"));
  EXPECT_TRUE(allows(rules, platform::slack, kAlice, action::status, "demo"));
  EXPECT_FALSE(allows(rules, platform::slack, kAlice, action::switch_traffic, "demo"));  // action
  EXPECT_FALSE(allows(rules, platform::slack, kAlice, action::deploy, "api"));           // app
  EXPECT_FALSE(allows(rules, platform::slack, kBob, action::deploy, "demo"));            // user
  EXPECT_FALSE(allows(rules, platform::slack, kMallory, action::deploy, "demo"));        // team
  EXPECT_TRUE(allows(rules, platform::slack, kMallory, action::help, ""));
}

TEST(ChatAllowRules, DefaultsAndStars) {
  // No teams: any team; "*": any user; no actions: all; no apps: all.
  std::vector anyone = {rule({}, {"*"})};
  EXPECT_TRUE(allows(anyone, platform::slack, kMallory, action::rollback, "api"));
  EXPECT_TRUE(allows(anyone, platform::slack, kBob, action::lock, "demo"));
  std::vector team_only = {rule({"T1"}, {"*"}, {"status"}, {"*"})};
  EXPECT_TRUE(allows(team_only, platform::slack, kBob, action::status, "anything"));
  EXPECT_FALSE(allows(team_only, platform::slack, kMallory, action::status, "demo"));
  EXPECT_FALSE(allows(team_only, platform::slack, kBob, action::cancel, "demo"));
  // Any one rule is enough.
  std::vector two = {rule({"T1"}, {"U2"}, {"status"}), rule({}, {"U1"}, {"switch"}, {"demo"})};
  EXPECT_TRUE(allows(two, platform::slack, kBob, action::status, "demo"));
  EXPECT_TRUE(allows(two, platform::slack, kMallory, action::switch_traffic, "demo"));
  EXPECT_FALSE(allows(two, platform::slack, kBob, action::switch_traffic, "demo"));
}

// Mattermost's team and user ids are form fields that anyone holding its
// token may set; Slack's are signed. A rule is for one chat only.
TEST(ChatAllowRules, ARuleAppliesOnlyToItsOwnChat) {
  std::vector slack_only = {rule({"T1"}, {"U1"})};
  EXPECT_TRUE(allows(slack_only, platform::slack, kAlice, action::deploy, "demo"));
  EXPECT_FALSE(allows(slack_only, platform::mattermost, kAlice, action::deploy, "demo"));
  auto why = refusal(slack_only, platform::mattermost, kAlice, action::deploy, "demo");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("mattermost user U1"), std::string::npos) << *why;
  EXPECT_NE(why->find("platform = \"mattermost\""), std::string::npos) << *why;
  std::vector mattermost_only = {rule({"T1"}, {"U1"}, {}, {}, "mattermost")};
  EXPECT_TRUE(allows(mattermost_only, platform::mattermost, kAlice, action::deploy, "demo"));
  EXPECT_FALSE(allows(mattermost_only, platform::slack, kAlice, action::deploy, "demo"));
}

TEST(ChatAllowRules, ARefusalSaysWhoWhatAndTheRuleToAdd) {
  std::vector rules = {rule({"T1"}, {"U1"}, {"status"})};
  auto why = refusal(rules, platform::slack, kBob, action::switch_traffic, "demo");
  ASSERT_TRUE(why);
  for (std::string_view part :
       {"user U2 (bob) of team T1", "may not switch demo",
        "no [[chat.allow]] rule for slack allows it", "platform = \"slack\"", "teams = [\"T1\"]",
        "users = [\"U2\"]", "actions = [\"switch\"]", "apps = [\"demo\"]"})
    EXPECT_NE(why->find(part), std::string::npos) << part << " in " << *why;
  EXPECT_FALSE(refusal(rules, platform::slack, kAlice, action::status, "demo"));
  // What the caller typed is quoted safely in the rule shown.
  auto odd = refusal(rules, platform::slack, kBob, action::deploy, "a\"b\\c");
  EXPECT_NE(odd->find("apps = [\"a\\\"b\\\\c\"]"), std::string::npos) << *odd;
}

storage::operation_record op_of(storage::operation_kind kind, storage::operation_state state) {
  storage::operation_record op;
  op.id = 12;
  op.app = "demo";
  op.kind = kind;
  op.state = state;
  op.colour = "green";
  op.ref = "main";
  return op;
}

TEST(ChatReplies, AcceptanceProgressAndEnds) {
  using storage::operation_kind;
  using storage::operation_state;
  auto deploy = op_of(operation_kind::deploy, operation_state::running);
  EXPECT_EQ(accepted_text(deploy, "alice"),
            "Deploying demo main to green (operation 12) — asked by alice");
  EXPECT_FALSE(progress_text(deploy, "/deploy"));
  deploy.state = operation_state::ready;
  EXPECT_NE(progress_text(deploy, "/deploy")->find("ready on green"), std::string::npos);
  EXPECT_NE(progress_text(deploy, "/deploy")->find("`/deploy switch demo`"), std::string::npos);
  deploy.state = operation_state::failed;
  deploy.error = "step 1 failed on 127.0.0.3: \xff\xfe";
  EXPECT_NE(progress_text(deploy, "/deploy")->find("Failed: deploy of demo main to green"),
            std::string::npos);
  auto sw = op_of(operation_kind::switch_traffic, operation_state::succeeded);
  sw.ref.reset();
  EXPECT_EQ(*progress_text(sw, "/deploy"), "Switched demo to green (operation 12).");
  EXPECT_EQ(accepted_text(sw, "bob", "blue 90%, green 10%"),
            "Switching demo to blue 90%, green 10% (operation 12) — asked by bob");
}

TEST(ChatReplies, JsonAlwaysHasAResponseTypeAndSurvivesAnyBytes) {
  EXPECT_EQ(reply_json(reply{true, "ok"}, platform::slack),
            R"({"response_type":"in_channel","text":"ok"})");
  EXPECT_EQ(reply_json(reply{false, "bad \xff byte"}, platform::slack),
            "{\"response_type\":\"ephemeral\",\"text\":\"bad \xEF\xBF\xBD byte\"}");
  // Within what Mattermost takes in one post, cut between characters.
  std::string long_text = std::string(15999, 'a') + "\xC3\xA9" + std::string(100, 'b');
  auto cut = nlohmann::json::parse(reply_json(reply{true, long_text}, platform::slack))["text"]
                 .get<std::string>();
  EXPECT_EQ(cut, std::string(15999, 'a') + "…");
}

}  // namespace
}  // namespace bluegreen::chat
