#include "storage/migrations.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "storage/database.hpp"
#include "storage/error.hpp"
#include "storage/statement.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::storage {

namespace {

// Append only: a released migration is never edited, a change is a new one.
constexpr std::array<std::string_view, 10> kMigrations = {
    R"sql(
CREATE TABLE apps (
  name         TEXT PRIMARY KEY,
  live         TEXT CHECK (live IN ('blue', 'green')),
  drifted      INTEGER NOT NULL DEFAULT 0,
  drift_reason TEXT,
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE colour_state (
  app         TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
  colour      TEXT NOT NULL CHECK (colour IN ('blue', 'green')),
  ref         TEXT,
  sha         TEXT,
  deployed_at TEXT,
  deployed_by TEXT,
  verified    INTEGER NOT NULL DEFAULT 0,
  health      TEXT,
  health_at   TEXT,
  PRIMARY KEY (app, colour)
);

CREATE TABLE operations (
  id          INTEGER PRIMARY KEY,
  app         TEXT NOT NULL REFERENCES apps(name),
  kind        TEXT NOT NULL CHECK (kind IN ('deploy', 'switch', 'rollback', 'task')),
  state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'ready', 'succeeded', 'failed',
                                             'cancelled', 'interrupted', 'rolled_back')),
  colour      TEXT CHECK (colour IN ('blue', 'green')),
  ref         TEXT,
  sha         TEXT,
  task        TEXT,
  actor       TEXT NOT NULL,
  channel     TEXT NOT NULL,
  detail      TEXT,
  error       TEXT,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  started_at  TEXT,
  finished_at TEXT
);
CREATE INDEX operations_by_app ON operations(app, id);
CREATE INDEX operations_by_state ON operations(state);

CREATE TABLE operation_log (
  id           INTEGER PRIMARY KEY,
  operation_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
  at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  host         TEXT,
  stream       TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr', 'event')),
  text         TEXT NOT NULL
);
CREATE INDEX operation_log_by_operation ON operation_log(operation_id, id);

CREATE TABLE switch_intents (
  id           INTEGER PRIMARY KEY,
  app          TEXT NOT NULL REFERENCES apps(name),
  operation_id INTEGER REFERENCES operations(id),
  from_colour  TEXT CHECK (from_colour IN ('blue', 'green')),
  to_colour    TEXT NOT NULL CHECK (to_colour IN ('blue', 'green')),
  weights      TEXT,
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  resolved_at  TEXT,
  outcome      TEXT CHECK (outcome IN ('applied', 'failed', 'reconciled'))
);
CREATE INDEX switch_intents_pending ON switch_intents(app) WHERE resolved_at IS NULL;

CREATE TABLE locks (
  app          TEXT NOT NULL REFERENCES apps(name),
  kind         TEXT NOT NULL CHECK (kind IN ('operation', 'manual')),
  holder       TEXT NOT NULL,
  reason       TEXT,
  operation_id INTEGER REFERENCES operations(id),
  acquired_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (app, kind)
);

CREATE TABLE tokens (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  scope        TEXT NOT NULL CHECK (scope IN ('read', 'deploy', 'admin')),
  hash         BLOB NOT NULL,
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  revoked_at   TEXT,
  last_used_at TEXT
);
CREATE UNIQUE INDEX tokens_active_name ON tokens(name) WHERE revoked_at IS NULL;

CREATE TABLE audit_events (
  id           INTEGER PRIMARY KEY,
  at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  actor        TEXT NOT NULL,
  channel      TEXT NOT NULL,
  action       TEXT NOT NULL,
  app          TEXT,
  operation_id INTEGER,
  detail       TEXT
);
)sql",
    // 2: what the load balancer routes to, including weighted (canary) splits.
    R"sql(
ALTER TABLE apps ADD COLUMN routing TEXT;
)sql",
    // 3: the colour a rollback returns to: live before the last switch and
    // not redeployed since.
    R"sql(
ALTER TABLE apps ADD COLUMN previous_live TEXT CHECK (previous_live IN ('blue', 'green'));
)sql",
    // 4: the marker in the environment of an operation's remote commands and
    // the hosts they run on, kept until whatever they left running is known
    // to be stopped.
    R"sql(
ALTER TABLE operations ADD COLUMN remote_marker TEXT;
ALTER TABLE operations ADD COLUMN remote_hosts TEXT;
)sql",
    // 5: what the reality loop last saw between operations: the routing its
    // load balancer reports, the colour whose identity public_url answered,
    // and what could not be read. Written only when it changes.
    R"sql(
ALTER TABLE apps ADD COLUMN observed_routing TEXT;
ALTER TABLE apps ADD COLUMN observed_identity TEXT CHECK (observed_identity IN ('blue', 'green'));
ALTER TABLE apps ADD COLUMN observed_error TEXT;
)sql",
    // 6: the event stream's history: what happened to operations and to the
    // stored state of apps, newest kept (AUTOINCREMENT: an id is never
    // reused, so a client's Last-Event-ID stays meaningful after pruning).
    R"sql(
CREATE TABLE events (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  type         TEXT NOT NULL,
  app          TEXT,
  operation_id INTEGER,
  data         TEXT NOT NULL
);
)sql",
    // 7: why an operation ended without success, as a stable code for
    // programs beside the message for people (`error`). Rows from before
    // keep their message and have no code.
    R"sql(
ALTER TABLE operations ADD COLUMN error_code TEXT;
)sql",
    // 8: the dashboard's sign-in sessions. Only the SHA-256 digest of the
    // cookie value is kept; a session counts only while its token is active.
    R"sql(
CREATE TABLE sessions (
  id         INTEGER PRIMARY KEY,
  hash       BLOB NOT NULL UNIQUE,
  token_id   INTEGER NOT NULL REFERENCES tokens(id),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
)sql",
    // 9: what inbound hooks have already delivered (a GitHub delivery id, a
    // Slack request's signature), kept until `expires_at` so a redelivery
    // or a replay is recognised across restarts; and when each app was last
    // alerted for each kind of alert ("not deployed for N days").
    R"sql(
CREATE TABLE hook_deliveries (
  source      TEXT NOT NULL,
  key         TEXT NOT NULL,
  received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  expires_at  TEXT NOT NULL,
  PRIMARY KEY (source, key)
);
CREATE INDEX hook_deliveries_by_expiry ON hook_deliveries(expires_at);
CREATE TABLE alerts_sent (
  app     TEXT NOT NULL,
  kind    TEXT NOT NULL,
  sent_at TEXT NOT NULL,
  PRIMARY KEY (app, kind)
);
)sql",
    // 10: the metrics scope (a token that may only scrape /metrics). SQLite
    // cannot change a CHECK, so the table is rebuilt with its rows and ids
    // (SQLite's own procedure: foreign keys are off while migrations run and
    // checked before each commit; see apply_migrations).
    R"sql(
CREATE TABLE tokens_new (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  scope        TEXT NOT NULL CHECK (scope IN ('metrics', 'read', 'deploy', 'admin')),
  hash         BLOB NOT NULL,
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  revoked_at   TEXT,
  last_used_at TEXT
);
INSERT INTO tokens_new (id, name, scope, hash, created_at, revoked_at, last_used_at)
  SELECT id, name, scope, hash, created_at, revoked_at, last_used_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE UNIQUE INDEX tokens_active_name ON tokens(name) WHERE revoked_at IS NULL;
)sql",
};

}  // namespace

int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

int schema_version(database& db) {
  statement version(db, "PRAGMA user_version");
  version.step();
  return static_cast<int>(version.column_int(0));
}

bool apply_migrations(database& db, std::string& error_message, int up_to) {
  int current = schema_version(db);
  int latest = latest_schema_version();
  if (current > latest) {
    error_message = "the file has schema version " + std::to_string(current) +
                    " but this bluegreend knows versions up to " + std::to_string(latest) +
                    "; run the newer bluegreend that wrote it";
    return false;
  }
  if (current >= std::min(up_to, latest)) return true;
  // A migration may rebuild a table that others refer to (a new CHECK needs
  // a new table). SQLite's way: foreign keys off (only possible outside a
  // transaction), then foreign_key_check before each commit, then on again.
  bool foreign_keys = false;
  {
    statement enabled(db, "PRAGMA foreign_keys");
    foreign_keys = enabled.step() && enabled.column_int(0) != 0;
  }
  if (foreign_keys) db.exec("PRAGMA foreign_keys=OFF");
  bool ok = true;
  for (int version = current + 1; ok && version <= std::min(up_to, latest); ++version) {
    try {
      transaction tx(db);
      db.exec(kMigrations[static_cast<size_t>(version - 1)]);
      {
        statement broken(db, "PRAGMA foreign_key_check");
        if (broken.step())
          throw error(SQLITE_CONSTRAINT_FOREIGNKEY,
                      "a row of " + broken.column_text(0) + " refers to a missing row of " +
                          broken.column_text(2));
      }
      db.exec("PRAGMA user_version = " + std::to_string(version));
      tx.commit();
    } catch (const error& e) {
      error_message =
          "migration to schema version " + std::to_string(version) + " failed: " + e.what();
      ok = false;
    }
  }
  if (foreign_keys) db.exec("PRAGMA foreign_keys=ON");
  return ok;
}

}  // namespace bluegreen::storage
