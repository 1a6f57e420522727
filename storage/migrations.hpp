// Versioned schema migrations for the state database, tracked in
// PRAGMA user_version. Each migration runs in its own transaction.
//
// Thread-safety: call on the thread that owns the database.
#pragma once

#include <string>

namespace bluegreen::storage {

class database;

// The schema version this build writes.
int latest_schema_version();

// Brings the database up to latest_schema_version() (or `up_to`, for
// tests that need a file as an older build left it). Returns false with a
// message when the file was written by a newer build or a migration fails.
bool apply_migrations(database& db, std::string& error_message,
                      int up_to = latest_schema_version());

// The schema version stored in the file.
int schema_version(database& db);

}  // namespace bluegreen::storage
