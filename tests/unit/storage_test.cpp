#include <gtest/gtest.h>

#include <fstream>

#include "storage/app_state_repository.hpp"
#include "storage/audit_repository.hpp"
#include "storage/database.hpp"
#include "storage/error.hpp"
#include "storage/lock_repository.hpp"
#include "storage/migrations.hpp"
#include "storage/operation_repository.hpp"
#include "storage/statement.hpp"
#include "storage/switch_intent_repository.hpp"
#include "storage/token_repository.hpp"
#include "storage/transaction.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::storage {
namespace {

std::unique_ptr<database> open_db(const std::filesystem::path& path) {
  std::string error;
  auto db = database::open(path, {}, error);
  EXPECT_TRUE(db) << error;
  return db;
}

// A deploy of main on web, in `state`.
new_operation deploy_of_main(operation_state state, std::optional<std::string> colour = {},
                             std::string actor = "alice") {
  new_operation op;
  op.app = "web";
  op.kind = operation_kind::deploy;
  op.state = state;
  op.colour = std::move(colour);
  op.ref = "main";
  op.actor = std::move(actor);
  op.channel = "api";
  return op;
}

TEST(Storage, MigratesAnEmptyFileToTheLatestSchema) {
  testing::temp_dir dir;
  auto db = open_db(dir / "state.db");
  ASSERT_TRUE(db);
  EXPECT_EQ(schema_version(*db), latest_schema_version());
  statement mode(*db, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
  statement fk(*db, "PRAGMA foreign_keys");
  ASSERT_TRUE(fk.step());
  EXPECT_EQ(fk.column_int(0), 1);
  statement sync(*db, "PRAGMA synchronous");
  ASSERT_TRUE(sync.step());
  EXPECT_EQ(sync.column_int(0), 2);  // FULL
  for (const char* table : {"apps", "colour_state", "operations", "operation_log",
                            "switch_intents", "locks", "tokens", "audit_events"}) {
    statement q(*db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
    q.bind(1, table);
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.column_int(0), 1) << table;
  }
}

TEST(Storage, ReopeningKeepsTheData) {
  testing::temp_dir dir;
  {
    auto db = open_db(dir / "state.db");
    app_state_repository apps(*db);
    apps.ensure("web");
    apps.set_live("web", "green");
    apps.record_release("web", "blue", "main", "abc123", "alice");
    apps.set_verified("web", "blue", true);
    operation_repository ops(*db);
    auto id = ops.create(deploy_of_main(operation_state::running, "blue"));
    ops.append_log(id, "10.0.0.2", "stdout", "Already up to date.");
  }
  auto db = open_db(dir / "state.db");
  auto web = app_state_repository(*db).find("web");
  ASSERT_TRUE(web);
  EXPECT_EQ(web->live, "green");
  EXPECT_EQ(web->blue.ref, "main");
  EXPECT_EQ(web->blue.sha, "abc123");
  EXPECT_EQ(web->blue.deployed_by, "alice");
  EXPECT_TRUE(web->blue.verified);
  EXPECT_FALSE(web->green.ref);
  operation_repository ops(*db);
  auto running = ops.unfinished();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_TRUE(running[0].started_at);
  auto lines = ops.log(running[0].id, 0, 100);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].host, "10.0.0.2");
  EXPECT_EQ(lines[0].text, "Already up to date.");
}

TEST(Storage, RefusesAFileThatIsNotADatabase) {
  testing::temp_dir dir;
  dir.write("state.db", std::string(8192, 'x'));
  std::string error;
  EXPECT_FALSE(database::open(dir / "state.db", {}, error));
  EXPECT_NE(error.find((dir / "state.db").string()), std::string::npos) << error;
  EXPECT_NE(error.find("not a valid SQLite database"), std::string::npos) << error;
  EXPECT_NE(error.find("restore it from a backup"), std::string::npos) << error;
}

TEST(Storage, RefusesADatabaseWithDamagedPages) {
  testing::temp_dir dir;
  auto path = dir / "state.db";
  {
    auto db = open_db(path);
    operation_repository ops(*db);
    app_state_repository(*db).ensure("web");
    for (int i = 0; i < 200; ++i) {
      auto id = ops.create(deploy_of_main(operation_state::running, "blue", "a"));
      ops.append_log(id, "h", "stdout", std::string(300, 'a' + i % 26));
    }
    db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  // Overwrite the middle of the file, where table b-tree pages are.
  auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 40000u);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    for (std::uintmax_t pos = 8192; pos < size - 4096; pos += 4096) {
      f.seekp(static_cast<std::streamoff>(pos + 100));
      f << std::string(200, '\xff');
    }
  }
  std::string error;
  EXPECT_FALSE(database::open(path, {}, error));
  EXPECT_NE(error.find("damaged"), std::string::npos) << error;
}

TEST(Storage, RefusesASchemaFromANewerBuild) {
  testing::temp_dir dir;
  {
    auto db = open_db(dir / "state.db");
    db->exec("PRAGMA user_version = 999");
  }
  std::string error;
  EXPECT_FALSE(database::open(dir / "state.db", {}, error));
  EXPECT_NE(error.find("schema version 999"), std::string::npos) << error;
}

TEST(Storage, AReaderIsNotBlockedByAWriterAndSeesOnlyCommittedData) {
  testing::temp_dir dir;
  auto writer = open_db(dir / "state.db");
  auto reader = open_db(dir / "state.db");
  app_state_repository(*writer).ensure("web");
  app_state_repository(*writer).set_live("web", "blue");
  {
    transaction tx(*writer);
    statement(*writer, "UPDATE apps SET live = 'green' WHERE name = 'web'").run();
    // The write transaction is open: the reader still reads, and reads the
    // last committed state.
    auto seen = app_state_repository(*reader).find("web");
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->live, "blue");
    tx.commit();
  }
  EXPECT_EQ(app_state_repository(*reader).find("web")->live, "green");
}

TEST(Storage, ATransactionRollsBackUnlessCommitted) {
  testing::temp_dir dir;
  auto db = open_db(dir / "state.db");
  app_state_repository(*db).ensure("web");
  {
    transaction tx(*db);
    statement(*db, "UPDATE apps SET live = 'green' WHERE name = 'web'").run();
  }
  EXPECT_FALSE(app_state_repository(*db).find("web")->live);
}

int synchronous_of(database& db) {
  statement sync(db, "PRAGMA synchronous");
  sync.step();
  return static_cast<int>(sync.column_int(0));
}

// Only a relaxed transaction's own commit skips the wait for the disk:
// every commit after it, committed or rolled back, is durable again.
TEST(Storage, ARelaxedTransactionLeavesLaterCommitsDurable) {
  testing::temp_dir dir;
  auto db = open_db(dir / "state.db");
  app_state_repository(*db).ensure("web");
  {
    transaction tx(*db, transaction::durability::relaxed);
    statement(*db, "UPDATE apps SET live = 'green' WHERE name = 'web'").run();
    {
      transaction inner(*db);  // a savepoint inside it
      statement(*db, "UPDATE apps SET previous_live = 'blue' WHERE name = 'web'").run();
      inner.commit();
    }
    tx.commit();
  }
  EXPECT_EQ(synchronous_of(*db), 2);  // FULL
  EXPECT_EQ(app_state_repository(*db).find("web")->live, "green");
  {
    transaction tx(*db, transaction::durability::relaxed);
    statement(*db, "UPDATE apps SET live = 'blue' WHERE name = 'web'").run();
  }
  EXPECT_EQ(synchronous_of(*db), 2);
  EXPECT_EQ(app_state_repository(*db).find("web")->live, "green");
}

TEST(Storage, LocksNameTheirHolder) {
  testing::temp_dir dir;
  auto db = open_db(dir / "state.db");
  app_state_repository(*db).ensure("web");
  lock_repository locks(*db);
  EXPECT_FALSE(locks.try_acquire("web", "manual", "alice", "release freeze", std::nullopt));
  auto held = locks.try_acquire("web", "manual", "bob", "mine", std::nullopt);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->holder, "alice");
  EXPECT_EQ(held->reason, "release freeze");
  // The operation lock is separate from the manual one.
  EXPECT_FALSE(locks.try_acquire("web", "operation", "deploy #1", std::nullopt, std::nullopt));
  EXPECT_EQ(locks.release_all_operation_locks(), 1);
  EXPECT_TRUE(locks.release("web", "manual"));
  EXPECT_FALSE(locks.release("web", "manual"));
}

TEST(Storage, OperationStatesCarryTimestamps) {
  testing::temp_dir dir;
  auto db = open_db(dir / "state.db");
  app_state_repository(*db).ensure("web");
  operation_repository ops(*db);
  auto id = ops.create(deploy_of_main(operation_state::queued));
  EXPECT_FALSE(ops.find(id)->started_at);
  ops.set_state(id, operation_state::running);
  EXPECT_TRUE(ops.find(id)->started_at);
  EXPECT_FALSE(ops.find(id)->finished_at);
  ops.set_state(id, operation_state::failed,
                operation_error{"steps_failed", "step 2 exited with 1 on 10.0.0.3"});
  auto op = ops.find(id);
  EXPECT_TRUE(op->finished_at);
  EXPECT_EQ(op->error, "step 2 exited with 1 on 10.0.0.3");
  EXPECT_EQ(op->error_code, "steps_failed");
  EXPECT_EQ(op->state, operation_state::failed);
  EXPECT_TRUE(ops.unfinished().empty());
}

TEST(Storage, OperationStatesAndKindsRoundTripThroughTheirNames) {
  for (auto state :
       {operation_state::queued, operation_state::running, operation_state::ready,
        operation_state::succeeded, operation_state::failed, operation_state::cancelled,
        operation_state::interrupted, operation_state::rolled_back})
    EXPECT_EQ(parse_operation_state(to_string(state)), state) << to_string(state);
  for (auto kind : {operation_kind::deploy, operation_kind::switch_traffic,
                    operation_kind::rollback, operation_kind::task})
    EXPECT_EQ(parse_operation_kind(to_string(kind)), kind) << to_string(kind);
  // The names the API and the database have always used.
  EXPECT_EQ(to_string(operation_state::rolled_back), "rolled_back");
  EXPECT_EQ(to_string(operation_kind::switch_traffic), "switch");
  for (std::string_view unknown : {"", "exploded", "Failed", "failed ", "switch_traffic"}) {
    EXPECT_FALSE(parse_operation_state(unknown)) << unknown;
    EXPECT_FALSE(parse_operation_kind(unknown)) << unknown;
  }
  EXPECT_TRUE(is_terminal_state(operation_state::rolled_back));
  EXPECT_FALSE(is_terminal_state(operation_state::ready));
  EXPECT_TRUE(is_running_state(operation_state::queued));
  EXPECT_FALSE(is_running_state(operation_state::ready));
}

TEST(Storage, AnUnknownStateInTheFileIsAnErrorNamingTheOperation) {
  testing::temp_dir dir;
  auto db = open_db(dir / "state.db");
  app_state_repository(*db).ensure("web");
  operation_repository ops(*db);
  auto id = ops.create(deploy_of_main(operation_state::running));
  // As another build could have written it (the CHECK is the only guard).
  db->exec("PRAGMA ignore_check_constraints = ON");
  db->exec("UPDATE operations SET state = 'paused' WHERE id = " + std::to_string(id));
  try {
    ops.find(id);
    ADD_FAILURE() << "an unknown state was read without an error";
  } catch (const storage::error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("operation #" + std::to_string(id)), std::string::npos) << what;
    EXPECT_NE(what.find("\"paused\""), std::string::npos) << what;
  }
  db->exec("UPDATE operations SET state = 'running', kind = 'promote' WHERE id = " +
           std::to_string(id));
  EXPECT_THROW(ops.list(std::nullopt, 10), storage::error);
}

// The file as a bluegreend with schema version `version` left it.
std::unique_ptr<database> open_at_version(const std::filesystem::path& path, int version) {
  std::string error;
  database_options as_is;
  as_is.migrate = false;
  auto db = database::open(path, as_is, error);
  if (!db || !apply_migrations(*db, error, version) || schema_version(*db) != version) {
    ADD_FAILURE() << "cannot make a file of schema version " << version << ": " << error;
    return nullptr;
  }
  return db;
}

TEST(Storage, MigrationSevenAddsTheErrorCodeAndKeepsTheOperations) {
  testing::temp_dir dir;
  {
    // The file as bluegreend with schema version 6 left it.
    auto db = open_at_version(dir / "state.db", 6);
    ASSERT_TRUE(db);
    db->exec(R"sql(
INSERT INTO apps (name) VALUES ('web');
INSERT INTO operations (id, app, kind, state, ref, actor, channel, error, finished_at)
VALUES (5, 'web', 'deploy', 'failed', 'main', 'alice', 'api', 'smoke checks failed: /health',
        '2026-11-01T00:00:00.000Z');
INSERT INTO operations (id, app, kind, state, colour, actor, channel)
VALUES (6, 'web', 'switch', 'running', 'green', 'bob', 'cli');
)sql");
  }
  auto db = open_db(dir / "state.db");
  ASSERT_TRUE(db);
  EXPECT_EQ(schema_version(*db), latest_schema_version());
  operation_repository ops(*db);
  auto failed = ops.find(5);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->kind, operation_kind::deploy);
  EXPECT_EQ(failed->state, operation_state::failed);
  EXPECT_EQ(failed->error, "smoke checks failed: /health");
  EXPECT_FALSE(failed->error_code);  // recorded before codes existed
  auto running = ops.find(6);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->kind, operation_kind::switch_traffic);
  EXPECT_EQ(running->actor, "bob");
  ops.set_state(6, operation_state::interrupted,
                operation_error{"interrupted", "bluegreend stopped while this operation ran"});
  EXPECT_EQ(ops.find(6)->error_code, "interrupted");
}

TEST(Storage, MigrationTenKeepsTokensAndTheirSessionsAndTakesTheMetricsScope) {
  testing::temp_dir dir;
  {
    // The file as bluegreend with schema version 9 left it: a token with a
    // dashboard session, and a revoked one.
    auto db = open_at_version(dir / "state.db", 9);
    ASSERT_TRUE(db);
    db->exec(R"sql(
INSERT INTO tokens (id, name, scope, hash) VALUES (3, 'ci', 'deploy', x'0102');
INSERT INTO tokens (id, name, scope, hash, revoked_at) VALUES (4, 'old', 'read', x'0304', 'x');
INSERT INTO sessions (hash, token_id, expires_at) VALUES (x'aa', 3, '2999-01-01T00:00:00.000Z');
)sql");
    EXPECT_THROW(db->exec("INSERT INTO tokens (name, scope, hash) VALUES ('m', 'metrics', x'05')"),
                 storage::error);
  }
  auto db = open_db(dir / "state.db");
  ASSERT_TRUE(db);
  EXPECT_EQ(schema_version(*db), latest_schema_version());
  token_repository tokens(*db);
  auto active = tokens.active();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].id, 3);
  EXPECT_EQ(active[0].name, "ci");
  EXPECT_EQ(active[0].scope, "deploy");
  EXPECT_EQ(tokens.all().size(), 2u);
  EXPECT_TRUE(tokens.insert("scraper", "metrics", "\x06"));
  // The active name is still unique.
  EXPECT_THROW(db->exec("INSERT INTO tokens (name, scope, hash) VALUES ('ci', 'read', x'07')"),
               storage::error);
  // The session still refers to its token, and foreign keys are enforced again.
  statement session(*db, "SELECT token_id FROM sessions");
  ASSERT_TRUE(session.step());
  EXPECT_EQ(session.column_int(0), 3);
  EXPECT_THROW(
      db->exec("INSERT INTO sessions (hash, token_id, expires_at) VALUES (x'bb', 99, 'x')"),
      storage::error);
}

TEST(Storage, SwitchIntentsStayPendingUntilResolved) {
  testing::temp_dir dir;
  auto db = open_db(dir / "state.db");
  app_state_repository(*db).ensure("web");
  switch_intent_repository intents(*db);
  auto id = intents.create("web", std::nullopt, "blue", "green", std::nullopt);
  ASSERT_EQ(intents.pending().size(), 1u);
  EXPECT_EQ(intents.pending()[0].to_colour, "green");
  intents.resolve(id, "applied");
  EXPECT_TRUE(intents.pending().empty());
  EXPECT_EQ(intents.find(id)->outcome, "applied");
}

TEST(Storage, TokenNamesAreReusableAfterRevocation) {
  testing::temp_dir dir;
  auto db = open_db(dir / "state.db");
  token_repository tokens(*db);
  EXPECT_TRUE(tokens.insert("ci", "deploy", "hash1"));
  EXPECT_FALSE(tokens.insert("ci", "read", "hash2"));
  EXPECT_TRUE(tokens.revoke("ci"));
  EXPECT_TRUE(tokens.insert("ci", "read", "hash3"));
  EXPECT_EQ(tokens.active().size(), 1u);
  EXPECT_EQ(tokens.all().size(), 2u);
}

TEST(Storage, AuditEventsPageNewestFirst) {
  testing::temp_dir dir;
  auto db = open_db(dir / "state.db");
  audit_repository audit(*db);
  for (int i = 0; i < 5; ++i)
    audit.record({"alice", "api", "app.lock", i % 2 ? "web" : "api", std::nullopt, std::nullopt});
  auto page = audit.list(2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_GT(page[0].id, page[1].id);
  auto next = audit.list(10, page[1].id);
  EXPECT_EQ(next.size(), 3u);
  EXPECT_EQ(audit.list(10, std::nullopt, "web").size(), 2u);
}

}  // namespace
}  // namespace bluegreen::storage
