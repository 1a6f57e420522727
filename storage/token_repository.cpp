#include "storage/token_repository.hpp"

#include "storage/database.hpp"
#include "storage/error.hpp"
#include "storage/statement.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::storage {

namespace {

constexpr std::string_view kSelect =
    "SELECT id, name, scope, hash, created_at, revoked_at, last_used_at FROM tokens";

std::vector<token_record> read_tokens(statement& query) {
  std::vector<token_record> tokens;
  while (query.step()) {
    token_record t;
    t.id = query.column_int(0);
    t.name = query.column_text(1);
    t.scope = query.column_text(2);
    t.hash = query.column_blob(3);
    t.created_at = query.column_text(4);
    t.revoked_at = query.column_optional_text(5);
    t.last_used_at = query.column_optional_text(6);
    tokens.push_back(std::move(t));
  }
  return tokens;
}

}  // namespace

std::optional<std::int64_t> token_repository::insert(std::string_view name,
                                                     std::string_view scope,
                                                     std::string_view hash) {
  transaction tx(db_);
  statement exists(db_, "SELECT 1 FROM tokens WHERE name = ?1 AND revoked_at IS NULL");
  exists.bind(1, name);
  if (exists.step()) return std::nullopt;
  statement insert(db_, "INSERT INTO tokens (name, scope, hash) VALUES (?1, ?2, ?3)");
  insert.bind(1, name).bind(2, scope).bind_blob(3, hash).run();
  auto id = db_.last_insert_id();
  tx.commit();
  return id;
}

std::vector<token_record> token_repository::active() {
  statement query(db_, std::string(kSelect) + " WHERE revoked_at IS NULL ORDER BY id");
  return read_tokens(query);
}

std::vector<token_record> token_repository::all() {
  statement query(db_, std::string(kSelect) + " ORDER BY id");
  return read_tokens(query);
}

bool token_repository::revoke(std::string_view name) {
  statement(db_,
            "UPDATE tokens SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
            " WHERE name = ?1 AND revoked_at IS NULL")
      .bind(1, name)
      .run();
  return db_.changes() > 0;
}

void token_repository::mark_used(const std::map<std::int64_t, std::string>& last_use) {
  transaction tx(db_);
  for (const auto& [id, at] : last_use)
    statement(db_, "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1")
        .bind(1, id)
        .bind(2, at)
        .run();
  tx.commit();
}

}  // namespace bluegreen::storage
