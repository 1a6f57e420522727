#include "storage/statement.hpp"

#include <sqlite3.h>

#include <utility>

#include "storage/database.hpp"
#include "storage/error.hpp"

namespace bluegreen::storage {

statement::statement(database& db, std::string_view sql) : db_(&db) {
  int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_,
                              nullptr);
  if (rc != SQLITE_OK) {
    throw error(sqlite3_extended_errcode(db.handle()),
                std::string(sqlite3_errmsg(db.handle())) + " (in: " + std::string(sql) + ")");
  }
}

statement::~statement() { sqlite3_finalize(stmt_); }

statement::statement(statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

void statement::check_bind(int rc) {
  if (rc != SQLITE_OK) {
    sqlite3* db = sqlite3_db_handle(stmt_);
    throw error(rc, sqlite3_errmsg(db));
  }
}

statement& statement::bind(int index, std::string_view value) {
  check_bind(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                               SQLITE_TRANSIENT));
  return *this;
}

statement& statement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

statement& statement::bind_blob(int index, std::string_view bytes) {
  check_bind(sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                               SQLITE_TRANSIENT));
  return *this;
}

statement& statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index));
  return *this;
}

bool statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    // A write outside a transaction has just committed by itself.
    if (!sqlite3_stmt_readonly(stmt_) && !db_->in_transaction()) db_->committed();
    return false;
  }
  sqlite3* db = sqlite3_db_handle(stmt_);
  std::string message = sqlite3_errmsg(db);
  int code = sqlite3_extended_errcode(db);
  sqlite3_reset(stmt_);
  throw error(code, message);
}

void statement::run() {
  while (step()) {
  }
}

void statement::reset() { sqlite3_reset(stmt_); }

bool statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size))
              : std::string();
}

std::optional<std::string> statement::column_optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_text(column);
}

std::int64_t statement::column_int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::optional<std::int64_t> statement::column_optional_int(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_int(column);
}

std::string statement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return data ? std::string(static_cast<const char*>(data), static_cast<size_t>(size))
              : std::string();
}

}  // namespace bluegreen::storage
