// The engine's in-memory copy of what is stored about each app: it answers
// without queries and never shows what the database does not hold.
#include "daemon/engine/app_state_cache.hpp"

#include <gtest/gtest.h>

#include "storage/database.hpp"
#include "storage/transaction.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::engine {
namespace {

class AppStateCache : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    db_ = storage::database::open(dir_ / "state.db", {}, error);
    ASSERT_TRUE(db_) << error;
    storage::app_state_repository(*db_).ensure("shop");
    storage::app_state_repository(*db_).ensure("blog");
  }
  testing::temp_dir dir_;
  std::unique_ptr<storage::database> db_;
};

TEST_F(AppStateCache, RepeatedReadsLoadOnce) {
  app_state_cache cache(*db_);
  std::uint64_t version = cache.version();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(cache.find("shop"));
    ASSERT_TRUE(cache.find("blog"));
  }
  EXPECT_EQ(cache.find("nope"), nullptr);
  EXPECT_EQ(cache.loads(), 1u);
  EXPECT_EQ(cache.version(), version);
}

TEST_F(AppStateCache, EveryWriteOfStateOrLocksIsSeenAtTheNextRead) {
  app_state_cache cache(*db_);
  storage::app_state_repository states(*db_);
  storage::lock_repository locks(*db_);
  ASSERT_FALSE(cache.find("shop")->state.live);
  std::uint64_t version = cache.version();

  states.set_routing("shop", "green", "green:100");
  EXPECT_NE(cache.version(), version);
  EXPECT_EQ(cache.find("shop")->state.live, "green");
  EXPECT_EQ(cache.find("shop")->state.routing, "green:100");

  states.record_release("shop", "blue", "main", "abc123", "alice");
  states.set_verified("shop", "blue", true);
  states.set_health("shop", "blue", "ok");
  states.set_drift("shop", "nginx routes to blue");
  states.set_previous_live("shop", "blue");
  const stored_app* shop = cache.find("shop");
  EXPECT_EQ(shop->state.blue.sha, "abc123");
  EXPECT_TRUE(shop->state.blue.verified);
  EXPECT_EQ(shop->state.blue.health, "ok");
  EXPECT_TRUE(shop->state.drifted);
  EXPECT_EQ(shop->state.previous_live, "blue");
  // Timestamps are SQLite's, as a query would show them.
  EXPECT_EQ(shop->state.updated_at, states.find("shop")->updated_at);

  locks.try_acquire("shop", "manual", "alice", "release freeze", std::nullopt);
  ASSERT_TRUE(cache.find("shop")->manual_lock);
  EXPECT_EQ(cache.find("shop")->manual_lock->reason, "release freeze");
  EXPECT_FALSE(cache.find("shop")->operation_lock);
  EXPECT_FALSE(cache.find("blog")->manual_lock);
  locks.release("shop", "manual");
  EXPECT_FALSE(cache.find("shop")->manual_lock);
}

TEST_F(AppStateCache, WhatARollbackUndidIsNeverShown) {
  app_state_cache cache(*db_);
  ASSERT_TRUE(cache.find("shop"));
  {
    storage::transaction tx(*db_);
    storage::lock_repository(*db_).try_acquire("shop", "operation", "deploy #1 by alice",
                                               std::nullopt, std::nullopt);
    // Read inside the transaction: the lock shows, but is not kept as fact.
    EXPECT_TRUE(cache.find("shop")->operation_lock);
    // No commit: the transaction rolls back.
  }
  EXPECT_FALSE(cache.find("shop")->operation_lock);
}

TEST_F(AppStateCache, AVersionTakenInsideATransactionIsNotCurrentAfterItsRollback) {
  app_state_cache cache(*db_);
  std::uint64_t inside = 0;
  {
    storage::transaction tx(*db_);
    storage::app_state_repository(*db_).set_drift("shop", "seen elsewhere");
    inside = cache.version();
  }
  EXPECT_NE(cache.version(), inside);
  EXPECT_FALSE(cache.find("shop")->state.drifted);
}

TEST_F(AppStateCache, TouchMovesTheVersion) {
  app_state_cache cache(*db_);
  std::uint64_t version = cache.version();
  cache.touch();
  EXPECT_NE(cache.version(), version);
  EXPECT_EQ(cache.loads(), 1u);
}

TEST_F(AppStateCache, EachLoadBalancersViewIsKeptAcrossLoadsAndCountsAsAChange) {
  app_state_cache cache(*db_);
  std::uint64_t version = cache.version();
  std::uint64_t heard = cache.heard();
  std::vector<load_balancer_seen> seen = {{"lb1", "blue:100", std::nullopt},
                                          {"lb2", std::nullopt, "cannot reach root@lb2"}};
  EXPECT_TRUE(cache.set_load_balancers("shop", seen));
  EXPECT_NE(cache.version(), version);
  EXPECT_NE(cache.heard(), heard);
  EXPECT_EQ(cache.find("shop")->load_balancers, seen);
  EXPECT_TRUE(cache.find("blog")->load_balancers.empty());
  // The same again is no change.
  heard = cache.heard();
  EXPECT_FALSE(cache.set_load_balancers("shop", seen));
  EXPECT_EQ(cache.heard(), heard);
  // A write of the stored state loads it again: the view stays.
  storage::app_state_repository(*db_).set_live("shop", "green");
  EXPECT_EQ(cache.find("shop")->state.live, "green");
  EXPECT_EQ(cache.find("shop")->load_balancers, seen);
}

}  // namespace
}  // namespace bluegreen::engine
