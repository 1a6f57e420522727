#include "storage/session_repository.hpp"

#include "storage/database.hpp"
#include "storage/statement.hpp"

namespace bluegreen::storage {

void session_repository::insert(std::string_view hash, std::int64_t token_id,
                                std::string_view expires_at) {
  statement(db_, "INSERT INTO sessions (hash, token_id, expires_at) VALUES (?1, ?2, ?3)")
      .bind_blob(1, hash)
      .bind(2, token_id)
      .bind(3, expires_at)
      .run();
}

std::optional<session_record> session_repository::find(std::string_view hash) {
  statement query(db_, "SELECT token_id, hash, expires_at FROM sessions WHERE hash = ?1");
  query.bind_blob(1, hash);
  if (!query.step()) return std::nullopt;
  return session_record{query.column_int(0), query.column_blob(1), query.column_text(2)};
}

bool session_repository::remove(std::string_view hash) {
  statement(db_, "DELETE FROM sessions WHERE hash = ?1").bind_blob(1, hash).run();
  return db_.changes() > 0;
}

std::int64_t session_repository::remove_expired(std::string_view now) {
  statement(db_, "DELETE FROM sessions WHERE expires_at <= ?1").bind(1, now).run();
  return db_.changes();
}

}  // namespace bluegreen::storage
