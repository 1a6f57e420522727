// The engine's event hub: every committed change of an app's stored state
// is one app.changed event naming the fields that changed, a rolled-back
// change is none, operation events live and die with their transaction,
// and only the newest events are kept. Plus the pure parts: which fields
// are compared, and JSON that stays valid whatever bytes it holds.
#include "daemon/engine/event_hub.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "api/event_stream.hpp"
#include "api/sse.hpp"
#include "daemon/engine/event_data.hpp"
#include "storage/database.hpp"
#include "storage/transaction.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::engine {
namespace {

using nlohmann::json;

class EventHub : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    db_ = storage::database::open(dir_ / "state.db", {}, error);
    ASSERT_TRUE(db_) << error;
    storage::app_state_repository(*db_).ensure("shop");
  }

  // The events stored once the loop has run what commits posted.
  std::vector<storage::event_record> all(event_hub& hub) {
    io_.restart();
    io_.poll();
    return hub.read(0, 1000, std::nullopt).events;
  }

  static std::vector<std::string> fields(const storage::event_record& e) {
    std::vector<std::string> out;
    json data = json::parse(e.data);
    for (const auto& c : data["changes"]) out.push_back(c["field"]);
    return out;
  }

  testing::temp_dir dir_;
  std::unique_ptr<storage::database> db_;
  boost::asio::io_context io_;
};

TEST_F(EventHub, ACommittedChangeIsOneAppChangedEventWithOldAndNewValues) {
  app_state_cache cache(*db_);
  event_hub hub(io_, *db_, cache);
  storage::app_state_repository(*db_).set_routing("shop", "green", "green:100");

  auto events = all(hub);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "app.changed");
  EXPECT_EQ(events[0].app, "shop");
  auto changes = json::parse(events[0].data)["changes"];
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0], (json{{"field", "live"}, {"old", nullptr}, {"new", "green"}}));
  EXPECT_EQ(changes[1], (json{{"field", "routing"}, {"old", nullptr}, {"new", "green:100"}}));
}

TEST_F(EventHub, ARolledBackChangeEmitsNothing) {
  app_state_cache cache(*db_);
  event_hub hub(io_, *db_, cache);
  storage::app_state_repository states(*db_);
  {
    storage::transaction tx(*db_);
    states.set_routing("shop", "green", "green:100");
    storage::lock_repository(*db_).try_acquire("shop", "manual", "alice", "freeze", std::nullopt);
    ASSERT_EQ(cache.find("shop")->state.live, "green");  // seen inside, never committed
  }
  EXPECT_TRUE(all(hub).empty());

  // The next commit reports only what it changed.
  states.set_drift("shop", "nginx routes to blue");
  auto events = all(hub);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(fields(events[0]), (std::vector<std::string>{"drifted", "drift_reason"}));
}

TEST_F(EventHub, WritesOfOneTransactionAreOneEventAndAWriteUndoneInItIsNone) {
  app_state_cache cache(*db_);
  event_hub hub(io_, *db_, cache);
  storage::app_state_repository states(*db_);
  {
    storage::transaction tx(*db_);
    states.set_verified("shop", "blue", true);
    states.set_health("shop", "blue", "ok");
    states.set_drift("shop", "for a moment");
    states.set_drift("shop", std::nullopt);
    tx.commit();
  }
  auto events = all(hub);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(fields(events[0]), (std::vector<std::string>{"blue.verified", "blue.health"}));
  // The same value written again is no change.
  states.set_health("shop", "blue", "ok");
  EXPECT_EQ(all(hub).size(), 1u);
}

TEST_F(EventHub, OperationEventsAreStoredWithTheirTransaction) {
  app_state_cache cache(*db_);
  event_hub hub(io_, *db_, cache);
  storage::operation_repository ops(*db_);
  storage::new_operation op;
  op.app = "shop";
  op.state = storage::operation_state::running;
  op.colour = "green";
  op.ref = "main";
  op.actor = "alice";
  op.channel = "api";
  {
    storage::transaction tx(*db_);
    hub.operation_started(*ops.find(ops.create(op)));
  }
  EXPECT_TRUE(all(hub).empty());

  std::int64_t id = ops.create(op);
  hub.operation_started(*ops.find(id));
  ops.set_state(id, storage::operation_state::ready);
  hub.operation_changed(*ops.find(id), storage::operation_state::running);
  ops.set_state(id, storage::operation_state::succeeded);
  hub.operation_changed(*ops.find(id), storage::operation_state::ready);
  auto events = all(hub);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "operation.started");
  EXPECT_EQ(events[1].type, "operation.updated");
  EXPECT_EQ(events[2].type, "operation.finished");
  for (const auto& e : events) EXPECT_EQ(e.operation_id, id);
  auto last = json::parse(events[2].data);
  EXPECT_EQ(last["operation"]["state"], "succeeded");
  EXPECT_EQ(last["previous_state"], "ready");
  EXPECT_EQ(last["operation"]["actor"], "alice");
}

// What /metrics counts of operations: an end once it is committed, never
// one that was rolled back, and how long an operation ran when it stopped
// running (a deploy that becomes ready), not again when it ends later.
TEST_F(EventHub, AnOperationIsCountedOnceItsEndIsCommittedAndNeverWhenRolledBack) {
  app_state_cache cache(*db_);
  event_hub hub(io_, *db_, cache);
  operation_stats stats;
  hub.count_into(stats);
  storage::operation_repository ops(*db_);
  storage::new_operation op;
  op.app = "shop";
  op.kind = storage::operation_kind::switch_traffic;
  op.state = storage::operation_state::running;
  op.colour = "green";
  op.actor = "alice";
  op.channel = "api";
  std::int64_t id = ops.create(op);
  using storage::operation_state;
  auto total = [&] {
    std::uint64_t n = 0;
    for (const auto& [key, count] : stats.ends()) n += count;
    return n;
  };

  {
    storage::transaction tx(*db_);
    ops.set_state(id, operation_state::succeeded);
    hub.operation_changed(*ops.find(id), operation_state::running);
  }
  storage::app_state_repository(*db_).set_routing("shop", "green", "green:100");  // a later commit
  EXPECT_EQ(total(), 0u);
  EXPECT_TRUE(stats.durations().empty());

  {
    storage::transaction tx(*db_);
    ops.set_state(id, operation_state::failed);
    hub.operation_changed(*ops.find(id), operation_state::running);
    EXPECT_EQ(total(), 0u);  // not before the commit
    tx.commit();
  }
  EXPECT_EQ(total(), 1u);
  EXPECT_EQ(stats.ends().at({"shop", storage::operation_kind::switch_traffic,
                             operation_state::failed}),
            1u);
  EXPECT_EQ(stats.durations().at(storage::operation_kind::switch_traffic).count(), 1u);
  // A switch the watch later marks rolled_back has already ended.
  ops.set_state(id, operation_state::rolled_back);
  hub.operation_changed(*ops.find(id), operation_state::failed);
  EXPECT_EQ(total(), 1u);

  op.kind = storage::operation_kind::deploy;
  std::int64_t deploy = ops.create(op);
  ops.set_state(deploy, operation_state::ready);
  hub.operation_changed(*ops.find(deploy), operation_state::running);
  EXPECT_EQ(total(), 1u);  // waiting to be switched to: not ended
  EXPECT_EQ(stats.durations().at(storage::operation_kind::deploy).count(), 1u);
  ops.set_state(deploy, operation_state::succeeded);
  hub.operation_changed(*ops.find(deploy), operation_state::ready);
  EXPECT_EQ(stats.ends().at({"shop", storage::operation_kind::deploy,
                             operation_state::succeeded}),
            1u);
  EXPECT_EQ(stats.durations().at(storage::operation_kind::deploy).count(), 1u);
}

TEST_F(EventHub, OnlyTheNewestAreKeptAndAnIdBeforeThemIsNotCovered) {
  app_state_cache cache(*db_);
  event_hub hub(io_, *db_, cache, 3);
  storage::app_state_repository states(*db_);
  for (int i = 0; i < 5; ++i) {
    states.set_health("shop", "green", i % 2 ? "ok" : "failing");
    all(hub);  // each change reported before the next
  }
  auto events = all(hub);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events.front().id, 3);
  EXPECT_EQ(events.back().id, 5);
  EXPECT_EQ(hub.newest(), 5);
  EXPECT_FALSE(hub.covers(0));
  EXPECT_FALSE(hub.covers(1));
  EXPECT_TRUE(hub.covers(2));
  EXPECT_TRUE(hub.covers(5));
  EXPECT_FALSE(hub.covers(6));  // newer than anything stored: another state file
}

TEST_F(EventHub, AWaiterIsWokenByTheNextCommittedEventAndByAStop) {
  app_state_cache cache(*db_);
  event_hub hub(io_, *db_, cache);
  int woken = 0;
  auto wait = [&] {
    boost::asio::co_spawn(io_, hub.wait(hub.newest(), std::chrono::hours(1)),
                          [&](std::exception_ptr) { ++woken; });
    io_.restart();
    io_.poll();
  };
  wait();
  EXPECT_EQ(woken, 0);
  storage::app_state_repository(*db_).set_live("shop", "blue");
  while (woken < 1 && io_.run_one_for(std::chrono::seconds(20)) > 0) {
  }
  EXPECT_EQ(woken, 1);

  wait();
  EXPECT_EQ(woken, 1);
  hub.stop();
  while (woken < 2 && io_.run_one_for(std::chrono::seconds(20)) > 0) {
  }
  EXPECT_EQ(woken, 2);
  EXPECT_TRUE(hub.stopping());
}

TEST(EventData, EachChangedFieldIsNamedWithItsOldAndNewValue) {
  stored_app before;
  stored_app after;
  after.state.live = "green";
  after.state.blue.health = "failing";
  after.state.blue.health_at = "2026-01-01T00:00:00.000Z";  // when, not what: not reported
  after.state.updated_at = "2026-01-01T00:00:00.000Z";
  after.manual_lock = storage::lock_record{"shop", "manual", "alice", "freeze", std::nullopt, "t"};
  auto changes = app_changes(before, after);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].field, "live");
  EXPECT_EQ(changes[0].before, nullptr);
  EXPECT_EQ(changes[0].after, "green");
  EXPECT_EQ(changes[1].field, "blue.health");
  EXPECT_EQ(changes[2].field, "manual_lock");
  EXPECT_EQ(changes[2].after["holder"], "alice");
  EXPECT_EQ(changes[2].after["reason"], "freeze");
  EXPECT_TRUE(app_changes(after, after).empty());
}

TEST(EventData, EachLoadBalancersViewIsOneFieldWithItsList) {
  stored_app before;
  before.load_balancers = {{"lb1", "blue:100", std::nullopt}, {"lb2", "blue:100", std::nullopt}};
  stored_app after = before;
  after.load_balancers[1] = {"lb2", std::nullopt, "cannot reach root@lb2"};
  auto changes = app_changes(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].field, "reality.load_balancers");
  EXPECT_EQ(changes[0].before[1]["routing"], "blue:100");
  EXPECT_EQ(changes[0].after, json::parse(R"([{"name": "lb1", "routing": "blue:100", "error": null},
      {"name": "lb2", "routing": null, "error": "cannot reach root@lb2"}])"));
}

TEST(EventData, BytesThatAreNotUtf8StayValidJsonOnOneLine) {
  storage::operation_record op;
  op.id = 7;
  op.app = "shop";
  op.kind = storage::operation_kind::task;
  op.state = storage::operation_state::failed;
  op.ref = "ma\xffin";
  op.error = "fatal: \xc3\nsecond line";
  std::string text = operation_data(op, storage::operation_state::running);
  json data = json::parse(text);  // strict: refuses invalid UTF-8
  EXPECT_EQ(data["operation"]["error"], "fatal: \xef\xbf\xbd\nsecond line");
  EXPECT_EQ(data["operation"]["ref"], "ma\xef\xbf\xbdin");

  stored_app drifted;
  drifted.state.drift_reason = "\xfe\xff";
  json changes = json::parse(app_changed_data(app_changes({}, drifted)));
  EXPECT_EQ(changes["changes"][0]["field"], "drift_reason");

  // As the stream sends it: one data line of valid JSON.
  storage::event_record stored{42,  "2026-01-01T00:00:00.000Z", "operation.finished", "shop", 7,
                               text};
  std::string message = api::sse_message(stored.type, api::event_json(stored), stored.id);
  ASSERT_TRUE(message.starts_with("id: 42\nevent: operation.finished\ndata: "));
  ASSERT_TRUE(message.ends_with("\n\n"));
  std::string line = message.substr(message.find("data: ") + 6);
  line.resize(line.size() - 2);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  json sent = json::parse(line);
  EXPECT_EQ(sent["id"], 42);
  EXPECT_EQ(sent["type"], "operation.finished");
  EXPECT_EQ(sent["operation_id"], 7);
  EXPECT_EQ(sent["previous_state"], "running");
}

}  // namespace
}  // namespace bluegreen::engine
