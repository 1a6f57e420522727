#include "storage/delivery_repository.hpp"

#include "storage/database.hpp"
#include "storage/statement.hpp"

namespace bluegreen::storage {

bool delivery_repository::remember(std::string_view source, std::string_view key,
                                   std::string_view now, std::string_view expires_at) {
  // One statement, so that two requests can never both be the first.
  statement(db_,
            "INSERT INTO hook_deliveries (source, key, expires_at) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (source, key) DO UPDATE SET received_at = "
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), expires_at = excluded.expires_at "
            "WHERE hook_deliveries.expires_at <= ?4")
      .bind(1, source)
      .bind(2, key)
      .bind(3, expires_at)
      .bind(4, now)
      .run();
  return db_.changes() > 0;
}

void delivery_repository::forget(std::string_view source, std::string_view key) {
  statement(db_, "DELETE FROM hook_deliveries WHERE source = ?1 AND key = ?2")
      .bind(1, source)
      .bind(2, key)
      .run();
}

std::int64_t delivery_repository::remove_expired(std::string_view now) {
  statement(db_, "DELETE FROM hook_deliveries WHERE expires_at <= ?1").bind(1, now).run();
  return db_.changes();
}

}  // namespace bluegreen::storage
