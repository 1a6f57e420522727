// Notifications, the pure parts: which events tell the team what (from the
// events' JSON as the engine stores it), each target's format and its
// limits, the generic webhook's signature, when a delivery is tried again,
// and when an app "has not been deployed for N days".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/engine/event_data.hpp"
#include "daemon/notify/delivery_policy.hpp"
#include "daemon/notify/event_notification.hpp"
#include "daemon/notify/message_format.hpp"
#include "daemon/notify/not_deployed_rule.hpp"
#include "daemon/utc_time.hpp"
#include "daemon/utf8.hpp"

namespace bluegreen::notify {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using storage::operation_kind;
using storage::operation_state;

constexpr std::string_view kDashboard = "https://deploy.example.com/";

storage::operation_record deploy_op(operation_state state) {
  storage::operation_record op;
  op.id = 12;
  op.app = "shop";
  op.kind = operation_kind::deploy;
  op.state = state;
  op.colour = "green";
  op.ref = "main";
  op.sha = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d";
  op.actor = "alice";
  op.channel = "api";
  op.started_at = "2026-11-30T09:00:00.000Z";
  return op;
}

storage::event_record event_of(std::string type, const storage::operation_record& op,
                               std::optional<operation_state> previous,
                               std::string at = "2026-11-30T09:00:42.000Z") {
  return {7, std::move(at), std::move(type), op.app, op.id, engine::operation_data(op, previous)};
}

storage::event_record app_event(const engine::stored_app& before, const engine::stored_app& after) {
  return {8,
          "2026-11-30T10:00:00.000Z",
          "app.changed",
          "shop",
          std::nullopt,
          engine::app_changed_data(engine::app_changes(before, after))};
}

TEST(NotificationFor, ADeployTellsItStartedWasReadySucceededAndFailedInWords) {
  auto op = deploy_op(operation_state::running);
  op.sha.reset();
  auto started = notification_for(event_of("operation.started", op, std::nullopt), kDashboard);
  ASSERT_TRUE(started);
  EXPECT_EQ(started->event, "deploy.started");
  EXPECT_EQ(started->app, "shop");
  EXPECT_EQ(started->text, "shop: deploy #12 of main started on green by alice via api.");
  EXPECT_EQ(started->link, "https://deploy.example.com/#/apps/shop/ops/12");
  EXPECT_EQ(started->id, "event-7");
  EXPECT_EQ(started->operation["id"], 12);

  op = deploy_op(operation_state::ready);
  auto ready =
      notification_for(event_of("operation.updated", op, operation_state::running), kDashboard);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->event, "deploy.ready");
  EXPECT_NE(ready->text.find("main (1a2b3c4) is ready on green"), std::string::npos) << ready->text;
  EXPECT_NE(ready->text.find("in 42s"), std::string::npos) << ready->text;

  op = deploy_op(operation_state::succeeded);
  op.finished_at = "2026-11-30T09:03:05.000Z";
  auto done = notification_for(event_of("operation.finished", op, operation_state::ready), "");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->event, "deploy.succeeded");
  EXPECT_EQ(done->text,
            "shop: deploy #12 of main (1a2b3c4) succeeded: green is live (by alice via api, took "
            "3m5s).");
  EXPECT_FALSE(done->link) << "no public_url, no link";

  for (auto state :
       {operation_state::failed, operation_state::cancelled, operation_state::interrupted}) {
    op = deploy_op(state);
    op.finished_at = "2026-11-30T09:00:09.000Z";
    op.error = "smoke checks failed: GET /health answered 500";
    auto failed =
        notification_for(event_of("operation.finished", op, operation_state::running), kDashboard);
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->event, "deploy.failed");
    EXPECT_NE(failed->text.find("after 9.0s"), std::string::npos) << failed->text;
    EXPECT_NE(failed->text.find(": smoke checks failed: GET /health answered 500"),
              std::string::npos)
        << failed->text;
  }
  op = deploy_op(operation_state::cancelled);
  EXPECT_NE(notification_for(event_of("operation.finished", op, operation_state::ready), "")
                ->text.find("was cancelled"),
            std::string::npos);
  // A deploy going from queued to running tells nothing new.
  op = deploy_op(operation_state::running);
  EXPECT_FALSE(notification_for(event_of("operation.updated", op, operation_state::queued), ""));
}

TEST(NotificationFor, ASwitchSaysFromWhatToWhatAndAManualRollbackWho) {
  storage::operation_record op = deploy_op(operation_state::succeeded);
  op.kind = operation_kind::switch_traffic;
  op.ref.reset();
  op.sha.reset();
  op.detail = "from blue to green 90%, blue 10%";
  op.finished_at = "2026-11-30T09:00:02.500Z";
  auto sw =
      notification_for(event_of("operation.finished", op, operation_state::running), kDashboard);
  ASSERT_TRUE(sw);
  EXPECT_EQ(sw->event, "switch");
  EXPECT_EQ(sw->text,
            "shop: traffic switched from blue to green 90%, blue 10% by alice via api, "
            "took 2.5s.");
  // A failed switch changed nothing: the deploy's own failure says enough.
  op.state = operation_state::failed;
  EXPECT_FALSE(notification_for(event_of("operation.finished", op, operation_state::running), ""));

  op.kind = operation_kind::rollback;
  op.state = operation_state::succeeded;
  op.colour = "blue";
  op.detail = "from green to blue";
  op.actor = "bob";
  op.channel = "slack";
  auto back = notification_for(event_of("operation.finished", op, operation_state::running), "");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->event, "rollback");
  EXPECT_EQ(back->text, "shop: rolled back from green to blue by bob via slack, took 2.5s.");
}

TEST(NotificationFor, TheWatchsSwitchBackIsAutomaticWithItsReason) {
  storage::operation_record op = deploy_op(operation_state::succeeded);
  op.id = 13;
  op.kind = operation_kind::rollback;
  op.colour = "blue";
  op.ref.reset();
  op.sha.reset();
  op.actor = "watch";
  op.channel = "system";
  op.detail =
      "after watch saw 3 failed probes after the switch (GET /health: HTTP 500) "
      "(operation #12)";
  auto auto_back =
      notification_for(event_of("operation.finished", op, operation_state::running), kDashboard);
  ASSERT_TRUE(auto_back);
  EXPECT_EQ(auto_back->event, "rollback.automatic");
  EXPECT_NE(auto_back->text.find("switched back to blue automatically after watch saw 3 failed "
                                 "probes after the switch (GET /health: HTTP 500)"),
            std::string::npos)
      << auto_back->text;
  EXPECT_EQ(auto_back->link, "https://deploy.example.com/#/apps/shop/ops/13");

  // The switch it undid becomes rolled_back: no second message.
  storage::operation_record undone = deploy_op(operation_state::rolled_back);
  undone.kind = operation_kind::switch_traffic;
  EXPECT_FALSE(notification_for(event_of("operation.updated", undone, operation_state::succeeded),
                                kDashboard));
  // Tasks tell nothing.
  storage::operation_record task = deploy_op(operation_state::succeeded);
  task.kind = operation_kind::task;
  EXPECT_FALSE(
      notification_for(event_of("operation.finished", task, operation_state::running), kDashboard));
}

TEST(NotificationFor, DriftAndLocksComeFromTheAppsChanges) {
  engine::stored_app calm;
  engine::stored_app drifted;
  drifted.state.drifted = true;
  drifted.state.drift_reason = "nginx routes to green but the record says blue";
  auto detected = notification_for(app_event(calm, drifted), kDashboard);
  ASSERT_TRUE(detected);
  EXPECT_EQ(detected->event, "drift.detected");
  EXPECT_NE(detected->text.find("nginx routes to green but the record says blue"),
            std::string::npos);
  EXPECT_EQ(detected->link, "https://deploy.example.com/#/apps/shop");
  EXPECT_TRUE(detected->operation.is_null());
  auto resolved = notification_for(app_event(drifted, calm), kDashboard);
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->event, "drift.resolved");
  // Another reason for the same drift is no news.
  engine::stored_app still = drifted;
  still.state.drift_reason = "something else";
  EXPECT_FALSE(notification_for(app_event(drifted, still), kDashboard));

  engine::stored_app locked;
  locked.manual_lock = storage::lock_record{
      "shop", "manual", "carol", "release freeze", std::nullopt, "2026-11-30T10:00:00.000Z"};
  auto lock = notification_for(app_event(calm, locked), "");
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->event, "lock");
  EXPECT_NE(lock->text.find("locked by carol (release freeze)"), std::string::npos) << lock->text;
  auto unlock = notification_for(app_event(locked, calm), "");
  ASSERT_TRUE(unlock);
  EXPECT_EQ(unlock->event, "unlock");
  EXPECT_NE(unlock->text.find("it was locked by carol (release freeze)"), std::string::npos);

  // The operation lock and health come and go with every operation.
  engine::stored_app busy;
  busy.operation_lock = storage::lock_record{"shop",       "operation", "deploy #1 by alice",
                                             std::nullopt, 1,           "2026-11-30T10:00:00.000Z"};
  busy.state.blue.health = "ok";
  EXPECT_FALSE(notification_for(app_event(calm, busy), kDashboard));
}

TEST(NotificationFor, LinksEscapeTheAppNameAndLongErrorsAreCut) {
  EXPECT_EQ(dashboard_link("https://d.example/base/", "a b", 3),
            "https://d.example/base/#/apps/a%20b/ops/3");
  EXPECT_FALSE(dashboard_link("", "shop", 3));
  auto op = deploy_op(operation_state::failed);
  op.error = std::string(5000, 'x');
  auto failed = notification_for(event_of("operation.finished", op, operation_state::running), "");
  ASSERT_TRUE(failed);
  EXPECT_LT(failed->text.size(), 1000u);
  EXPECT_TRUE(failed->text.ends_with("…"));
}

notification sample(std::string text) {
  notification n;
  n.event = "deploy.failed";
  n.app = "shop";
  n.text = std::move(text);
  n.link = "https://deploy.example.com/#/apps/shop/ops/12";
  n.operation = {{"id", 12}, {"kind", "deploy"}};
  n.at = "2026-11-30T09:00:42.000Z";
  n.id = "event-7";
  return n;
}

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

TEST(MessageFormat, EachTargetGetsItsOwnJson) {
  auto n = sample("shop: deploy #12 failed: <!channel> & @all");
  json slack = json::parse(slack_body(n));
  EXPECT_EQ(slack, json({{"text",
                          "shop: deploy #12 failed: &lt;!channel&gt; &amp; @all "
                          "<https://deploy.example.com/#/apps/shop/ops/12|view in the "
                          "dashboard>"}}));
  json mm = json::parse(mattermost_body(n));
  EXPECT_EQ(mm["username"], "bluegreen");
  EXPECT_EQ(mm["text"],
            "shop: deploy #12 failed: <!channel> & @\u200ball [view in the "
            "dashboard](https://deploy.example.com/#/apps/shop/ops/12)");
  json discord = json::parse(discord_body(n));
  EXPECT_EQ(discord["content"],
            "shop: deploy #12 failed: <!channel> & @all "
            "<https://deploy.example.com/#/apps/shop/ops/12>");
  EXPECT_EQ(discord["allowed_mentions"], json({{"parse", json::array()}}));
  json hook = json::parse(webhook_body(n));
  EXPECT_EQ(hook["event"], "deploy.failed");
  EXPECT_EQ(hook["app"], "shop");
  EXPECT_EQ(hook["text"], n.text + " " + *n.link);
  EXPECT_EQ(hook["operation"]["id"], 12);
  EXPECT_EQ(hook["at"], "2026-11-30T09:00:42.000Z");
  EXPECT_EQ(hook["id"], "event-7");
  n.operation = nullptr;
  n.link.reset();
  hook = json::parse(webhook_body(n));
  EXPECT_TRUE(hook["operation"].is_null());
  EXPECT_EQ(hook["text"], n.text);
  EXPECT_EQ(json::parse(slack_body(n))["text"],
            "shop: deploy #12 failed: &lt;!channel&gt; &amp; @all");
}

TEST(MessageFormat, DiscordsContentStaysWithin2000CharactersCutBetweenCharacters) {
  // 3,000 two-byte and four-byte characters: far over 2,000 characters.
  std::string text;
  for (int i = 0; i < 1500; ++i) text += "é😀";
  auto n = sample(text);
  json discord = json::parse(discord_body(n));  // strict: refuses invalid UTF-8
  std::string content = discord["content"];
  EXPECT_TRUE(daemon::utf8::is_valid(content));
  EXPECT_LE(code_points(content), kDiscordContentLimit);
  EXPECT_GE(code_points(content), kDiscordContentLimit - 1);
  EXPECT_TRUE(content.ends_with("… <https://deploy.example.com/#/apps/shop/ops/12>")) << content;
  // Short text is not touched.
  EXPECT_EQ(json::parse(discord_body(sample("é")))["content"],
            "é <https://deploy.example.com/#/apps/shop/ops/12>");
  EXPECT_EQ(cut_to_characters("abcdef", 4), "abc…");
  EXPECT_EQ(cut_to_characters("abcd", 4), "abcd");
}

TEST(MessageFormat, BytesThatAreNotUtf8StillMakeValidJson) {
  auto n = sample("fatal: \xff\xfe output \xc3");
  n.operation = {{"error", "x"}};
  for (const auto& body : {slack_body(n), mattermost_body(n), discord_body(n), webhook_body(n)}) {
    json parsed = json::parse(body);  // throws on invalid UTF-8
    EXPECT_TRUE(daemon::utf8::is_valid(body)) << body;
  }
  EXPECT_EQ(json::parse(discord_body(n))["content"].get<std::string>().substr(0, 13),
            "fatal: \xef\xbf\xbd\xef\xbf\xbd");
}

TEST(MessageFormat, TheWebhooksSignatureIsHmacSha256OfTheBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(signature_of("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // GitHub's documented example (the same scheme).
  EXPECT_EQ(signature_of("It's a Secret to Everybody", "Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST(DeliveryPolicy, SuccessRetriesAndGivingUp) {
  attempt_outcome ok{200, std::nullopt, "ok", ""};
  EXPECT_EQ(judge(ok, 1, 0ms).what, verdict::action::delivered);
  EXPECT_EQ(judge({204, {}, "", ""}, 3, 0ms).what, verdict::action::delivered);

  attempt_outcome refused{std::nullopt, std::nullopt, "", "connect: connection refused"};
  auto v = judge(refused, 1, 0ms);
  EXPECT_EQ(v.what, verdict::action::retry);
  EXPECT_EQ(v.wait, 1s);
  EXPECT_EQ(v.why, "connect: connection refused");
  EXPECT_EQ(judge(refused, 3, 5s).wait, 4s);
  EXPECT_EQ(judge({503, {}, "", ""}, 2, 1s).wait, 2s);
  EXPECT_EQ(judge(refused, kMaxAttempts, 20s).what, verdict::action::give_up);
  attempt_outcome forbidden = refused;
  forbidden.error = "invalid_request: 10.0.0.1 is a private address";
  forbidden.transient = false;
  EXPECT_EQ(judge(forbidden, 1, 0ms).what, verdict::action::give_up);

  // Retry-After in seconds, or Discord's float in the body.
  auto limited = judge({429, std::string("7"), "", ""}, 1, 0ms);
  EXPECT_EQ(limited.what, verdict::action::retry);
  EXPECT_EQ(limited.wait, 7s);
  auto discord =
      judge({429, std::nullopt,
             R"({"message":"You are being rate limited.","retry_after":64.57,"global":false})", ""},
            1, 0ms);
  EXPECT_EQ(discord.wait, 64570ms);
  EXPECT_EQ(judge({429, std::string("65"), R"({"retry_after":64.57})", ""}, 1, 0ms).wait, 65s);
  EXPECT_EQ(judge({429, std::string("Wed, 21 Oct 2026 07:28:00 GMT"), "", ""}, 2, 0ms).wait, 2s);
  // A wait that would end past the bound is not waited.
  EXPECT_EQ(judge({429, std::string("3600"), "", ""}, 1, 0ms).what, verdict::action::give_up);
  EXPECT_EQ(judge({500, {}, "", ""}, 2, kGiveUpAfter - 1s).what, verdict::action::give_up);

  // What the same request would get again is given up at once.
  for (int status : {400, 403, 404, 301, 302})
    EXPECT_EQ(judge({status, {}, "no_service", ""}, 1, 0ms).what, verdict::action::give_up)
        << status;
  EXPECT_EQ(judge({404, {}, "", ""}, 1, 0ms).why, "HTTP 404");
}

time_point at(const char* utc) { return *daemon::parse_utc_text(utc); }

TEST(NotDeployedRule, TheSlotIsTheLatestLocalTimeOfDayAtOrBeforeNow) {
  daily_slot nine{9h, 0s};
  EXPECT_EQ(latest_slot(at("2026-11-30T10:00:00.000Z"), nine.at, 0s),
            at("2026-11-30T09:00:00.000Z"));
  EXPECT_EQ(latest_slot(at("2026-11-30T09:00:00.000Z"), nine.at, 0s),
            at("2026-11-30T09:00:00.000Z"));
  EXPECT_EQ(latest_slot(at("2026-11-30T08:59:59.999Z"), nine.at, 0s),
            at("2026-11-29T09:00:00.000Z"));
  // Local time UTC+2: 09:00 local is 07:00 UTC; UTC-5: 14:00 UTC.
  EXPECT_EQ(latest_slot(at("2026-11-30T08:00:00.000Z"), 9h, 2h), at("2026-11-30T07:00:00.000Z"));
  EXPECT_EQ(latest_slot(at("2026-11-30T08:00:00.000Z"), 9h, -5h), at("2026-11-29T14:00:00.000Z"));
  // Around local midnight: 00:00:30 local, UTC+1.
  EXPECT_EQ(latest_slot(at("2026-11-30T23:00:10.000Z"), 30s, 1h), at("2026-11-29T23:00:30.000Z"));
  EXPECT_EQ(latest_slot(at("2026-11-30T23:00:40.000Z"), 30s, 1h), at("2026-11-30T23:00:30.000Z"));
}

TEST(NotDeployedRule, DueOnceADayWhenTheNewestDeployIsOlderThanTheThreshold) {
  daily_slot nine{9h, 0s};
  not_deployed_facts facts;
  facts.threshold = std::chrono::hours(72);
  // Never deployed: never alerted.
  EXPECT_FALSE(not_deployed_due(facts, at("2026-12-30T10:00:00.000Z"), nine));
  EXPECT_FALSE(not_deployed_next(facts, at("2026-12-30T10:00:00.000Z"), nine));

  facts.newest_deploy = at("2026-11-27T08:30:00.000Z");
  // Three days later at 09:00 it is 72h30m old.
  EXPECT_FALSE(not_deployed_due(facts, at("2026-11-30T08:59:59.000Z"), nine));
  EXPECT_TRUE(not_deployed_due(facts, at("2026-11-30T09:00:00.000Z"), nine));
  EXPECT_TRUE(not_deployed_due(facts, at("2026-11-30T17:00:00.000Z"), nine)) << "missed slot";
  EXPECT_EQ(not_deployed_next(facts, at("2026-11-29T12:00:00.000Z"), nine),
            at("2026-11-30T09:00:00.000Z"));
  // Sent at 09:00:01: not again that day; due at the next day's slot.
  facts.last_sent = at("2026-11-30T09:00:01.000Z");
  EXPECT_FALSE(not_deployed_due(facts, at("2026-11-30T20:00:00.000Z"), nine));
  EXPECT_TRUE(not_deployed_due(facts, at("2026-12-01T09:00:00.000Z"), nine));
  EXPECT_EQ(not_deployed_next(facts, at("2026-11-30T20:00:00.000Z"), nine),
            at("2026-12-01T09:00:00.000Z"));

  // Deployed at 09:30: 72h later is past that day's slot; the next day's.
  facts.last_sent.reset();
  facts.newest_deploy = at("2026-11-27T09:30:00.000Z");
  EXPECT_FALSE(not_deployed_due(facts, at("2026-11-30T09:30:00.000Z"), nine));
  EXPECT_EQ(not_deployed_next(facts, at("2026-11-28T00:00:00.000Z"), nine),
            at("2026-12-01T09:00:00.000Z"));

  // Seconds: deployed 5 s before a slot at 00:00:03 with a 1 s threshold.
  not_deployed_facts quick;
  quick.threshold = 1s;
  quick.newest_deploy = at("2026-11-30T23:59:58.000Z");
  daily_slot three{3s, 0s};
  EXPECT_FALSE(not_deployed_due(quick, at("2026-12-01T00:00:02.000Z"), three));
  EXPECT_EQ(not_deployed_next(quick, at("2026-12-01T00:00:02.000Z"), three),
            at("2026-12-01T00:00:03.000Z"));
  EXPECT_TRUE(not_deployed_due(quick, at("2026-12-01T00:00:03.000Z"), three));
}

TEST(NotDeployedRule, AReloadThatMovesTheTimeLaterDoesNotAlertTwiceTheSameDay) {
  not_deployed_facts facts;
  facts.threshold = 72h;
  facts.newest_deploy = at("2026-11-20T08:00:00.000Z");
  facts.last_sent = at("2026-11-30T09:00:00.000Z");  // alerted at 09:00
  daily_slot five_pm{17h, 0s};                       // then reloaded with 17:00
  EXPECT_FALSE(not_deployed_due(facts, at("2026-11-30T17:00:00.000Z"), five_pm));
  EXPECT_FALSE(not_deployed_due(facts, at("2026-11-30T23:59:59.000Z"), five_pm));
  EXPECT_EQ(not_deployed_next(facts, at("2026-11-30T17:00:00.000Z"), five_pm),
            at("2026-12-01T17:00:00.000Z"));
  EXPECT_TRUE(not_deployed_due(facts, at("2026-12-01T17:00:00.000Z"), five_pm));
}

TEST(NotDeployedRule, ASlotInTheHourAFallBackRepeatsAlertsOnce) {
  // Europe/Berlin, 2026-10-25: 03:00 CEST (UTC+2) becomes 02:00 CET (UTC+1),
  // so 02:30 local happens at 00:30 UTC and again at 01:30 UTC.
  not_deployed_facts facts;
  facts.threshold = 72h;
  facts.newest_deploy = at("2026-10-01T08:00:00.000Z");
  daily_slot summer{2h + 30min, 2h};
  ASSERT_TRUE(not_deployed_due(facts, at("2026-10-25T00:30:00.000Z"), summer));
  facts.last_sent = latest_slot(at("2026-10-25T00:30:00.000Z"), summer.at, summer.utc_offset);
  daily_slot winter{2h + 30min, 1h};
  EXPECT_FALSE(not_deployed_due(facts, at("2026-10-25T01:30:00.000Z"), winter));
  EXPECT_EQ(not_deployed_next(facts, at("2026-10-25T01:30:00.000Z"), winter),
            at("2026-10-26T01:30:00.000Z"));
}

TEST(NotDeployedRule, ASlotCaughtUpLateKeepsTheNextDaysAlert) {
  not_deployed_facts facts;
  facts.threshold = 72h;
  facts.newest_deploy = at("2026-11-20T08:00:00.000Z");
  daily_slot nine{9h, 0s};
  // The daemon was down at 09:00 and caught the slot up at 20:00: what is
  // recorded is the slot the alert was for.
  facts.last_sent = latest_slot(at("2026-11-30T20:00:00.000Z"), nine.at, nine.utc_offset);
  EXPECT_TRUE(not_deployed_due(facts, at("2026-12-01T09:00:00.000Z"), nine));
}

TEST(NotDeployedRule, TheMessageNamesTheNewestRelease) {
  storage::app_record app;
  app.blue.colour = "blue";
  app.blue.deployed_at = "2026-11-20T09:00:00.000Z";
  app.green.colour = "green";
  app.green.ref = "v2.1";
  app.green.sha = "abcdef0123456789";
  app.green.deployed_at = "2026-11-26T09:00:00.000Z";
  app.green.deployed_by = "alice";
  auto newest = newest_deploy(app);
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->colour, "green");
  EXPECT_FALSE(newest_deploy(storage::app_record{}));
  auto n = not_deployed_notification("shop", *newest, 72h, at("2026-11-30T09:00:00.500Z"),
                                     at("2026-11-30T09:00:00.000Z"), "https://d.example");
  EXPECT_EQ(n.event, "not_deployed");
  EXPECT_EQ(n.text,
            "shop has not been deployed for 4 days (the alert's threshold is 3d): the "
            "newest deploy put v2.1 (abcdef0) on green at 2026-11-26T09:00:00.000Z (by "
            "alice).");
  EXPECT_EQ(n.link, "https://d.example/#/apps/shop");
  EXPECT_EQ(n.id, "not_deployed-shop-2026-11-30T09:00:00.000Z");
}

TEST(UtcText, ReadsWhatItWrites) {
  auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  EXPECT_EQ(daemon::parse_utc_text(daemon::utc_text(now)), now);
  EXPECT_EQ(daemon::parse_utc_text("2026-11-30T09:07:59Z"), at("2026-11-30T09:07:59.000Z"));
  for (const char* bad : {"", "2026-11-30", "2026-13-30T09:07:59.123Z", "2026-02-30T09:07:59.123Z",
                          "2026-11-30 09:07:59.123Z", "2026-11-30T09:07:59.123"})
    EXPECT_FALSE(daemon::parse_utc_text(bad)) << bad;
}

}  // namespace
}  // namespace bluegreen::notify
