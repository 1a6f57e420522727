#include "storage/database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/error.hpp"
#include "storage/migrations.hpp"
#include "storage/statement.hpp"

namespace bluegreen::storage {

namespace {

std::string describe_open_failure(const std::filesystem::path& path, const std::string& what) {
  return "cannot use state database " + path.string() + ": " + what;
}

// The state holds token hashes, the audit log and everything operations
// printed: owner-only, whatever the umask. SQLite gives -wal and -shm the
// main file's mode, so creating that one 0600 is enough for new files;
// files made by an older version are tightened if they are ours.
void make_owner_only(const std::filesystem::path& path) {
  if (path.empty() || path.string().starts_with(":memory:") || path.string().starts_with("file:"))
    return;
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    auto file = path.string() + suffix;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 077) != 0)
      ::chmod(file.c_str(), st.st_mode & 0700);
  }
}

std::string not_writable(const std::filesystem::path& path) {
  struct stat st {};
  std::string owner = ::stat(path.c_str(), &st) == 0 ? ", owned by uid " + std::to_string(st.st_uid)
                                                     : std::string();
  return "the file is not writable for this user (uid " + std::to_string(::geteuid()) + owner +
         "); run bluegreend as the file's owner, or give the file and its directory to the "
         "daemon's user";
}

}  // namespace

bool is_storage_full(const error& e) { return (e.code() & 0xff) == SQLITE_FULL; }

database::database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

database::~database() {
  sqlite3_finalize(data_version_);
  sqlite3_close_v2(db_);
}

void database::set_change_listener(std::function<void(std::string_view table)> listener) {
  change_listener_ = std::move(listener);
  if (!change_listener_) {
    sqlite3_update_hook(db_, nullptr, nullptr);
    return;
  }
  sqlite3_update_hook(
      db_,
      [](void* self, int, const char*, const char* table, sqlite3_int64) {
        static_cast<database*>(self)->change_listener_(table);
      },
      this);
}

void database::set_commit_listener(std::function<void()> listener) {
  commit_listener_ = std::move(listener);
}

void database::committed() {
  if (commit_listener_) commit_listener_();
}

bool database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

std::int64_t database::data_version() {
  if (!data_version_ &&
      sqlite3_prepare_v3(db_, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT, &data_version_,
                         nullptr) != SQLITE_OK)
    throw error(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
  int rc = sqlite3_step(data_version_);
  std::int64_t version = rc == SQLITE_ROW ? sqlite3_column_int64(data_version_, 0) : 0;
  sqlite3_reset(data_version_);
  if (rc != SQLITE_ROW) throw error(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
  return version;
}

void database::set_commit_gate(std::function<bool()> gate) {
  commit_gate_ = std::move(gate);
  if (!commit_gate_) {
    sqlite3_commit_hook(db_, nullptr, nullptr);
    return;
  }
  sqlite3_commit_hook(
      db_,
      [](void* self) -> int {
        // Non-zero turns the commit into a rollback.
        return static_cast<database*>(self)->commit_gate_() ? 0 : 1;
      },
      this);
}

std::unique_ptr<database> database::open(const std::filesystem::path& path,
                                         const database_options& options,
                                         std::string& error_message) {
  make_owner_only(path);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    error_message = describe_open_failure(path, raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    sqlite3_close_v2(raw);
    return nullptr;
  }
  sqlite3_extended_result_codes(raw, 1);
  // SQLite falls back to read-only when it may not write the file; the
  // daemon would then fail at its first write, or not at all with nothing
  // to write yet. Refuse at once, the same way every time.
  if (sqlite3_db_readonly(raw, "main") == 1) {
    error_message = describe_open_failure(path, not_writable(path));
    sqlite3_close_v2(raw);
    return nullptr;
  }
  std::unique_ptr<database> db(new database(raw, path));
  try {
    sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
    // quick_check first: a file that is not a database or has damaged pages
    // must be refused before anything writes to it.
    {
      statement check(*db, "PRAGMA quick_check");
      std::string problems;
      while (check.step()) {
        std::string line = check.column_text(0);
        if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
      }
      if (!problems.empty()) {
        error_message = describe_open_failure(
            path, "the file is damaged (quick_check: " + problems +
                      "); restore it from a backup or move it aside to start with empty state");
        return nullptr;
      }
    }
    {
      statement wal(*db, "PRAGMA journal_mode=WAL");
      if (!wal.step() || wal.column_text(0) != "wal") {
        error_message = describe_open_failure(path, "the file system does not support WAL mode");
        return nullptr;
      }
    }
    db->exec("PRAGMA synchronous=FULL");
    db->exec("PRAGMA foreign_keys=ON");
    if (options.migrate) {
      std::string migrate_error;
      if (!apply_migrations(*db, migrate_error)) {
        error_message = describe_open_failure(path, migrate_error);
        return nullptr;
      }
    }
  } catch (const error& e) {
    int primary = e.code() & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
      error_message = describe_open_failure(
          path, std::string("the file is not a valid SQLite database (") + e.what() +
                    "); restore it from a backup or move it aside to start with empty state");
    } else {
      error_message = describe_open_failure(path, e.what());
    }
    return nullptr;
  }
  return db;
}

void database::exec(std::string_view sql) {
  char* message = nullptr;
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string what = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw error(sqlite3_extended_errcode(db_), what);
  }
}

long long database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

int database::changes() const { return sqlite3_changes(db_); }

}  // namespace bluegreen::storage
