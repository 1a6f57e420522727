#include "storage/lock_repository.hpp"

#include "storage/database.hpp"
#include "storage/statement.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::storage {

namespace {

constexpr std::string_view kSelect =
    "SELECT app, kind, holder, reason, operation_id, acquired_at FROM locks";

lock_record read_lock(const statement& row) {
  lock_record lock;
  lock.app = row.column_text(0);
  lock.kind = row.column_text(1);
  lock.holder = row.column_text(2);
  lock.reason = row.column_optional_text(3);
  lock.operation_id = row.column_optional_int(4);
  lock.acquired_at = row.column_text(5);
  return lock;
}

}  // namespace

std::optional<lock_record> lock_repository::try_acquire(std::string_view app,
                                                        std::string_view kind,
                                                        std::string_view holder,
                                                        std::optional<std::string_view> reason,
                                                        std::optional<std::int64_t> operation_id) {
  transaction tx(db_);
  statement insert(db_,
                   "INSERT OR IGNORE INTO locks (app, kind, holder, reason, operation_id)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.bind(1, app).bind(2, kind).bind(3, holder).bind(4, reason).bind(5, operation_id).run();
  if (db_.changes() == 1) {
    tx.commit();
    return std::nullopt;
  }
  auto existing = find(app, kind);
  tx.commit();
  return existing;
}

bool lock_repository::release(std::string_view app, std::string_view kind) {
  statement(db_, "DELETE FROM locks WHERE app = ?1 AND kind = ?2").bind(1, app).bind(2, kind).run();
  return db_.changes() > 0;
}

std::optional<lock_record> lock_repository::find(std::string_view app, std::string_view kind) {
  statement query(db_, std::string(kSelect) + " WHERE app = ?1 AND kind = ?2");
  query.bind(1, app).bind(2, kind);
  if (!query.step()) return std::nullopt;
  return read_lock(query);
}

std::vector<lock_record> lock_repository::all() {
  statement query(db_, std::string(kSelect) + " ORDER BY app, kind");
  std::vector<lock_record> locks;
  while (query.step()) locks.push_back(read_lock(query));
  return locks;
}

int lock_repository::release_all_operation_locks() {
  statement(db_, "DELETE FROM locks WHERE kind = 'operation'").run();
  return db_.changes();
}

}  // namespace bluegreen::storage
