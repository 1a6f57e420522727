#include "storage/audit_repository.hpp"

#include "storage/database.hpp"
#include "storage/statement.hpp"

namespace bluegreen::storage {

std::int64_t audit_repository::record(const new_audit_event& event) {
  statement insert(db_,
                   "INSERT INTO audit_events (actor, channel, action, app, operation_id, detail)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  insert.bind(1, event.actor)
      .bind(2, event.channel)
      .bind(3, event.action)
      .bind(4, event.app)
      .bind(5, event.operation_id)
      .bind(6, event.detail)
      .run();
  return db_.last_insert_id();
}

std::vector<audit_event> audit_repository::list(int limit, std::optional<std::int64_t> before_id,
                                                std::optional<std::string_view> app) {
  statement query(db_,
                  "SELECT id, at, actor, channel, action, app, operation_id, detail"
                  " FROM audit_events WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR app = ?2)"
                  " ORDER BY id DESC LIMIT ?3");
  query.bind(1, before_id).bind(2, app).bind(3, limit);
  std::vector<audit_event> events;
  while (query.step()) {
    audit_event e;
    e.id = query.column_int(0);
    e.at = query.column_text(1);
    e.actor = query.column_text(2);
    e.channel = query.column_text(3);
    e.action = query.column_text(4);
    e.app = query.column_optional_text(5);
    e.operation_id = query.column_optional_int(6);
    e.detail = query.column_optional_text(7);
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace bluegreen::storage
