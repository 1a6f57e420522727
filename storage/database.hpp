// database owns one SQLite connection to the state file. It is opened with
// the durability settings the daemon relies on (WAL, synchronous=FULL,
// foreign keys, busy timeout) and refuses a file that fails quick_check.
//
// Thread-safety: a database and the statements prepared on it belong to one
// thread at a time. Open a second database on the same file for another
// thread (WAL lets readers run beside a writer).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace bluegreen::storage {

class error;

// True when `e` says the file system holding the database is full
// (SQLITE_FULL): changes fail until space is freed there; reads still work.
bool is_storage_full(const error& e);

struct database_options {
  // How long a writer waits for another connection's write lock.
  std::chrono::milliseconds busy_timeout{5000};
  // Apply the schema migrations after opening (the daemon always does; a
  // read-only tool may not).
  bool migrate = true;
};

class database {
 public:
  // Opens (creating when absent) the database at `path`. On failure returns
  // nullptr and sets `error_message` to a sentence an operator can act on.
  static std::unique_ptr<database> open(const std::filesystem::path& path,
                                        const database_options& options,
                                        std::string& error_message);

  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // Runs SQL without results (pragmas, DDL). Throws storage::error.
  void exec(std::string_view sql);

  // The rowid of the last successful INSERT on this connection.
  long long last_insert_id() const;
  // Rows changed by the last statement on this connection.
  int changes() const;

  // `gate` is asked before every commit; when it answers false the commit
  // becomes a rollback and the write fails. Tests use it to stop every
  // write from some point on, as a crash would, and look at what was left.
  // Empty (the default): every commit goes through.
  void set_commit_gate(std::function<bool()> gate);

  // `listener` hears the table of every row inserted, updated or deleted on
  // this connection, as the change is made (before it commits; a rollback
  // is not announced, so a listener treats what it hears as "look again").
  // Caches of stored state use it to stay true. One listener; empty removes
  // it.
  void set_change_listener(std::function<void(std::string_view table)> listener);
  // `listener` hears every commit of this connection's changes once it is
  // made: the end of an outermost storage::transaction, or a write
  // statement run outside one. What it hears is committed (unlike the
  // change listener), so it may derive events from it; it may write itself
  // (that commit is heard too). One listener; empty removes it.
  void set_commit_listener(std::function<void()> listener);
  // Tells the commit listener (transaction and statement call it).
  void committed();
  // Whether a transaction is open on this connection: what a read sees then
  // may still be rolled back.
  bool in_transaction() const;
  // SQLite's `PRAGMA data_version`: a number that changes whenever another
  // connection (another process, such as the token commands) commits to
  // the file, and never for this connection's own commits. Cheap: one
  // prepared statement, no table read. Throws storage::error.
  std::int64_t data_version();

  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  database(sqlite3* db, std::filesystem::path path);

  sqlite3* db_;
  std::filesystem::path path_;
  std::function<bool()> commit_gate_;
  std::function<void(std::string_view)> change_listener_;
  std::function<void()> commit_listener_;
  sqlite3_stmt* data_version_ = nullptr;  // prepared on first use
};

}  // namespace bluegreen::storage
