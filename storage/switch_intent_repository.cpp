#include "storage/switch_intent_repository.hpp"

#include "storage/database.hpp"
#include "storage/statement.hpp"

namespace bluegreen::storage {

namespace {

constexpr std::string_view kSelect =
    "SELECT id, app, operation_id, from_colour, to_colour, weights, created_at, resolved_at,"
    " outcome FROM switch_intents";

switch_intent read_intent(const statement& row) {
  switch_intent intent;
  intent.id = row.column_int(0);
  intent.app = row.column_text(1);
  intent.operation_id = row.column_optional_int(2);
  intent.from_colour = row.column_optional_text(3);
  intent.to_colour = row.column_text(4);
  intent.weights = row.column_optional_text(5);
  intent.created_at = row.column_text(6);
  intent.resolved_at = row.column_optional_text(7);
  intent.outcome = row.column_optional_text(8);
  return intent;
}

}  // namespace

std::int64_t switch_intent_repository::create(std::string_view app,
                                              std::optional<std::int64_t> operation_id,
                                              std::optional<std::string_view> from_colour,
                                              std::string_view to_colour,
                                              std::optional<std::string_view> weights) {
  statement insert(db_,
                   "INSERT INTO switch_intents (app, operation_id, from_colour, to_colour, weights)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.bind(1, app).bind(2, operation_id).bind(3, from_colour).bind(4, to_colour).bind(5, weights);
  insert.run();
  return db_.last_insert_id();
}

void switch_intent_repository::resolve(std::int64_t id, std::string_view outcome) {
  statement(db_,
            "UPDATE switch_intents SET outcome = ?2,"
            " resolved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1")
      .bind(1, id)
      .bind(2, outcome)
      .run();
}

std::optional<switch_intent> switch_intent_repository::find(std::int64_t id) {
  statement query(db_, std::string(kSelect) + " WHERE id = ?1");
  query.bind(1, id);
  if (!query.step()) return std::nullopt;
  return read_intent(query);
}

std::vector<switch_intent> switch_intent_repository::pending() {
  statement query(db_, std::string(kSelect) + " WHERE resolved_at IS NULL ORDER BY id");
  std::vector<switch_intent> intents;
  while (query.step()) intents.push_back(read_intent(query));
  return intents;
}

std::map<std::string, std::string> switch_intent_repository::last_applied() {
  // Read once at start; later switches are counted as they happen.
  statement query(db_,
                  "SELECT app, max(resolved_at) FROM switch_intents"
                  " WHERE outcome = 'applied' AND resolved_at IS NOT NULL GROUP BY app");
  std::map<std::string, std::string> last;
  while (query.step()) last[query.column_text(0)] = query.column_text(1);
  return last;
}

}  // namespace bluegreen::storage
