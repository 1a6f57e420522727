#include "daemon/token_service.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "storage/audit_repository.hpp"
#include "storage/database.hpp"
#include "storage/token_repository.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::daemon {
namespace {

class TokenService : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    db_ = storage::database::open(dir_ / "state.db", {}, error);
    ASSERT_TRUE(db_) << error;
  }
  // A second connection to the same file, as the token commands open it.
  std::unique_ptr<storage::database> open_other() {
    std::string error;
    auto other = storage::database::open(dir_ / "state.db", {}, error);
    if (!other) ADD_FAILURE() << error;
    return other;
  }
  testing::temp_dir dir_;
  std::unique_ptr<storage::database> db_;
};

TEST_F(TokenService, CreatedSecretVerifiesAndIsNotStored) {
  token_service tokens(*db_);
  auto secret = tokens.create("ci", scope::deploy, "root");
  ASSERT_TRUE(secret) << secret.error().message;
  EXPECT_TRUE(secret->starts_with("bgt_"));
  EXPECT_EQ(secret->size(), 4u + 64u);
  auto info = tokens.verify(*secret);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->name, "ci");
  EXPECT_EQ(info->granted, scope::deploy);
  // Only the digest is in the file.
  db_.reset();
  std::string file = testing::read_file(dir_ / "state.db") + testing::read_file(dir_ / "state.db-wal");
  EXPECT_EQ(file.find(secret->substr(4)), std::string::npos);
}

TEST_F(TokenService, WrongAndRevokedSecretsDoNotVerify) {
  token_service tokens(*db_);
  auto secret = *tokens.create("ci", scope::read, "root");
  std::string altered = secret;
  altered.back() = altered.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(tokens.verify(altered));
  EXPECT_FALSE(tokens.verify(""));
  EXPECT_FALSE(tokens.verify(secret.substr(4)));
  EXPECT_TRUE(tokens.revoke("ci", "root"));
  EXPECT_FALSE(tokens.verify(secret));
  EXPECT_FALSE(tokens.revoke("ci", "root"));
}

TEST_F(TokenService, NamesAreValidatedAndUnique) {
  token_service tokens(*db_);
  auto bad = tokens.create("bad name", scope::read, "root");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "invalid_token_name");
  EXPECT_EQ(bad.error().message,
            "invalid token name \"bad name\": use 1 to 64 letters, digits, '.', '_', '@' or '-'");
  EXPECT_TRUE(tokens.create("ci", scope::read, "root"));
  auto taken = tokens.create("ci", scope::admin, "root");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, "token_exists");
  EXPECT_EQ(taken.error().message,
            "a token named \"ci\" already exists: revoke it first or choose another name");
}

TEST_F(TokenService, CreationAndRevocationAreAudited) {
  token_service tokens(*db_);
  tokens.create("ci", scope::admin, "alice");
  tokens.revoke("ci", "bob");
  auto events = storage::audit_repository(*db_).list(10);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, "token.revoke");
  EXPECT_EQ(events[0].actor, "bob");
  EXPECT_EQ(events[1].action, "token.create");
  EXPECT_EQ(events[1].actor, "alice");
  EXPECT_EQ(events[1].detail, "token ci with scope admin");
}

TEST_F(TokenService, VerifyingWritesNothingUntilTheLastUseIsFlushed) {
  token_service tokens(*db_);
  auto secret = tokens.create("ci", scope::read, "root");
  ASSERT_TRUE(secret) << secret.error().message;
  std::string error;
  int changes_before = sqlite3_total_changes(db_->handle());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tokens.verify(*secret));
  EXPECT_EQ(sqlite3_total_changes(db_->handle()), changes_before);

  // Another process (`bluegreend token list`) sees the use once flushed.
  auto other = storage::database::open(dir_ / "state.db", {}, error);
  ASSERT_TRUE(other) << error;
  EXPECT_FALSE(storage::token_repository(*other).all().at(0).last_used_at);
  EXPECT_TRUE(tokens.list().at(0).last_used_at);
  EXPECT_TRUE(tokens.flush_last_use());
  auto stored = storage::token_repository(*other).all().at(0).last_used_at;
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, *tokens.list().at(0).last_used_at);
  EXPECT_EQ(stored->size(), std::string("2026-01-01T00:00:00.000Z").size());
}

TEST(Scope, HigherScopesIncludeLowerOnes) {
  EXPECT_TRUE(grants(scope::admin, scope::deploy));
  EXPECT_TRUE(grants(scope::deploy, scope::read));
  EXPECT_FALSE(grants(scope::read, scope::deploy));
  EXPECT_FALSE(grants(scope::deploy, scope::admin));
}

// The daemon verifies from memory; an operator's `bluegreend token create`
// or `revoke` is another connection to the same file and counts at once.
TEST_F(TokenService, TokensMadeOrRevokedByAnotherProcessCountAtOnce) {
  token_service daemon(*db_);
  auto other_db = open_other();
  ASSERT_TRUE(other_db);
  token_service cli(*other_db);

  auto first = cli.create("ci", scope::read, "root");
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(daemon.verify(*first));  // loads the cache
  auto second = cli.create("laptop", scope::admin, "root");
  ASSERT_TRUE(second) << second.error().message;
  auto info = daemon.verify(*second);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->name, "laptop");
  EXPECT_EQ(info->granted, scope::admin);

  ASSERT_TRUE(cli.revoke("laptop", "root"));
  EXPECT_FALSE(daemon.verify(*second));
  EXPECT_TRUE(daemon.verify(*first));

  // The name is free again: the new secret works, the old one stays out.
  auto again = cli.create("laptop", scope::read, "root");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(daemon.verify(*again)->granted, scope::read);
  EXPECT_FALSE(daemon.verify(*second));
}

TEST_F(TokenService, TheCacheReadsTheTokensOnlyWhenTheFileChanged) {
  auto other_db = open_other();
  ASSERT_TRUE(other_db);
  token_service cli(*other_db);
  auto secret = cli.create("ci", scope::read, "root");
  ASSERT_TRUE(secret) << secret.error().message;
  std::string digest_of_nothing(32, '\0');

  token_cache cache(*db_);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(cache.find(digest_of_nothing));
  EXPECT_EQ(cache.loads(), 1u);
  // Any commit by another connection (here an audit event) means "look again".
  ASSERT_TRUE(cli.revoke("ci", "root"));
  EXPECT_EQ(cache.loads(), 1u);
  EXPECT_FALSE(cache.find(digest_of_nothing));
  EXPECT_EQ(cache.loads(), 2u);
  // This connection's own changes are announced with invalidate().
  storage::token_repository(*db_).insert("own", "read", digest_of_nothing);
  EXPECT_FALSE(cache.find(digest_of_nothing));
  cache.invalidate();
  auto found = cache.find(digest_of_nothing);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "own");
  EXPECT_EQ(cache.loads(), 3u);
}

}  // namespace
}  // namespace bluegreen::daemon
