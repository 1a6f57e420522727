#include "storage/event_repository.hpp"

#include "storage/database.hpp"
#include "storage/statement.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::storage {

std::int64_t event_repository::add(const new_event& event, std::int64_t keep) {
  transaction tx(db_);
  statement insert(db_,
                   "INSERT INTO events (type, app, operation_id, data) VALUES (?1, ?2, ?3, ?4)");
  insert.bind(1, event.type)
      .bind(2, event.app)
      .bind(3, event.operation_id)
      .bind(4, event.data)
      .run();
  std::int64_t id = db_.last_insert_id();
  // By id, on the primary key: at most one row goes per row added.
  statement prune(db_, "DELETE FROM events WHERE id <= ?1");
  prune.bind(1, id - keep).run();
  tx.commit();
  return id;
}

std::vector<event_record> event_repository::after(std::int64_t after_id, int limit,
                                                  std::optional<std::string_view> app) {
  statement query(db_,
                  "SELECT id, at, type, app, operation_id, data FROM events"
                  " WHERE id > ?1 AND (?2 IS NULL OR app = ?2) ORDER BY id LIMIT ?3");
  query.bind(1, after_id).bind(2, app).bind(3, limit);
  std::vector<event_record> out;
  while (query.step()) {
    event_record e;
    e.id = query.column_int(0);
    e.at = query.column_text(1);
    e.type = query.column_text(2);
    e.app = query.column_optional_text(3);
    e.operation_id = query.column_optional_int(4);
    e.data = query.column_text(5);
    out.push_back(std::move(e));
  }
  return out;
}

event_repository::bounds event_repository::range() {
  bounds b;
  statement oldest(db_, "SELECT min(id) FROM events");
  if (oldest.step()) b.oldest_kept = oldest.column_int(0);
  // The sequence remembers the newest id even when every row was pruned.
  statement newest(db_, "SELECT seq FROM sqlite_sequence WHERE name = 'events'");
  if (newest.step()) b.newest = newest.column_int(0);
  return b;
}

}  // namespace bluegreen::storage
