#include "storage/alert_repository.hpp"

#include "storage/database.hpp"
#include "storage/statement.hpp"

namespace bluegreen::storage {

std::optional<std::string> alert_repository::last_sent(std::string_view app,
                                                       std::string_view kind) {
  statement query(db_, "SELECT sent_at FROM alerts_sent WHERE app = ?1 AND kind = ?2");
  query.bind(1, app).bind(2, kind);
  if (!query.step()) return std::nullopt;
  return query.column_text(0);
}

void alert_repository::set_sent(std::string_view app, std::string_view kind,
                                std::string_view at) {
  statement(db_,
            "INSERT INTO alerts_sent (app, kind, sent_at) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (app, kind) DO UPDATE SET sent_at = excluded.sent_at")
      .bind(1, app)
      .bind(2, kind)
      .bind(3, at)
      .run();
}

}  // namespace bluegreen::storage
