// statement is one prepared SQLite statement: prepared in the constructor,
// finalised in the destructor, move-only. Bind indexes start at 1, column
// indexes at 0, as in SQLite. Failures throw storage::error.
//
// Thread-safety: same as the database it was prepared on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3_stmt;

namespace bluegreen::storage {

class database;

class statement {
 public:
  statement(database& db, std::string_view sql);
  ~statement();
  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& bind(int index, std::string_view value);
  statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  statement& bind(int index, std::int64_t value);
  statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  statement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value)); }
  statement& bind_blob(int index, std::string_view bytes);
  statement& bind_null(int index);
  template <typename T>
  statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Advances to the next row: true when a row is available, false when done.
  bool step();
  // Steps a statement that returns no rows.
  void run();
  // Makes the statement ready to run again; bindings are kept.
  void reset();

  bool is_null(int column) const;
  std::string column_text(int column) const;
  std::optional<std::string> column_optional_text(int column) const;
  std::int64_t column_int(int column) const;
  std::optional<std::int64_t> column_optional_int(int column) const;
  std::string column_blob(int column) const;

 private:
  void check_bind(int rc);

  sqlite3_stmt* stmt_ = nullptr;
  database* db_ = nullptr;  // told of the commit of a write made outside a transaction
};

}  // namespace bluegreen::storage
