#include "storage/app_state_repository.hpp"

#include "storage/database.hpp"
#include "storage/statement.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::storage {

namespace {

constexpr std::string_view kSelect = R"sql(
SELECT a.name, a.live, a.drifted, a.drift_reason, a.updated_at,
       c.colour, c.ref, c.sha, c.deployed_at, c.deployed_by, c.verified, c.health, c.health_at,
       a.routing, a.previous_live, a.observed_routing, a.observed_identity, a.observed_error
FROM apps a JOIN colour_state c ON c.app = a.name
)sql";

colour_record read_colour(const statement& row) {
  colour_record c;
  c.colour = row.column_text(5);
  c.ref = row.column_optional_text(6);
  c.sha = row.column_optional_text(7);
  c.deployed_at = row.column_optional_text(8);
  c.deployed_by = row.column_optional_text(9);
  c.verified = row.column_int(10) != 0;
  c.health = row.column_optional_text(11);
  c.health_at = row.column_optional_text(12);
  return c;
}

// Rows come ordered by app name then colour, two per app.
std::vector<app_record> read_apps(statement& query) {
  std::vector<app_record> apps;
  while (query.step()) {
    std::string name = query.column_text(0);
    if (apps.empty() || apps.back().name != name) {
      app_record app;
      app.name = name;
      app.live = query.column_optional_text(1);
      app.drifted = query.column_int(2) != 0;
      app.drift_reason = query.column_optional_text(3);
      app.updated_at = query.column_text(4);
      app.routing = query.column_optional_text(13);
      app.previous_live = query.column_optional_text(14);
      app.observed_routing = query.column_optional_text(15);
      app.observed_identity = query.column_optional_text(16);
      app.observed_error = query.column_optional_text(17);
      apps.push_back(std::move(app));
    }
    colour_record c = read_colour(query);
    (c.colour == "blue" ? apps.back().blue : apps.back().green) = std::move(c);
  }
  return apps;
}

void touch(database& db, std::string_view app) {
  statement(db, "UPDATE apps SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE name = ?1")
      .bind(1, app)
      .run();
}

}  // namespace

void app_state_repository::ensure(std::string_view app) {
  transaction tx(db_);
  statement(db_, "INSERT OR IGNORE INTO apps (name) VALUES (?1)").bind(1, app).run();
  statement colour(db_, "INSERT OR IGNORE INTO colour_state (app, colour) VALUES (?1, ?2)");
  colour.bind(1, app).bind(2, "blue").run();
  colour.reset();
  colour.bind(2, "green").run();
  tx.commit();
}

std::optional<app_record> app_state_repository::find(std::string_view app) {
  statement query(db_, std::string(kSelect) + " WHERE a.name = ?1 ORDER BY c.colour");
  query.bind(1, app);
  auto apps = read_apps(query);
  if (apps.empty()) return std::nullopt;
  return std::move(apps.front());
}

std::vector<app_record> app_state_repository::all() {
  statement query(db_, std::string(kSelect) + " ORDER BY a.name, c.colour");
  return read_apps(query);
}

void app_state_repository::set_live(std::string_view app,
                                    std::optional<std::string_view> colour) {
  transaction tx(db_);
  statement(db_, "UPDATE apps SET live = ?2 WHERE name = ?1").bind(1, app).bind(2, colour).run();
  touch(db_, app);
  tx.commit();
}

void app_state_repository::set_routing(std::string_view app, std::string_view live,
                                       std::string_view routing) {
  transaction tx(db_);
  statement(db_, "UPDATE apps SET live = ?2, routing = ?3 WHERE name = ?1")
      .bind(1, app)
      .bind(2, live)
      .bind(3, routing)
      .run();
  touch(db_, app);
  tx.commit();
}

bool app_state_repository::set_observed(std::string_view app,
                                        std::optional<std::string_view> routing,
                                        std::optional<std::string_view> identity,
                                        std::optional<std::string_view> error) {
  // "IS NOT" compares NULLs as values: an unchanged row is not written (and
  // no change is heard by the app state cache).
  statement update(db_, R"sql(
UPDATE apps SET observed_routing = ?2, observed_identity = ?3, observed_error = ?4,
                updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE name = ?1 AND (observed_routing IS NOT ?2 OR observed_identity IS NOT ?3
                     OR observed_error IS NOT ?4))sql");
  update.bind(1, app).bind(2, routing).bind(3, identity).bind(4, error).run();
  return db_.changes() > 0;
}

void app_state_repository::set_previous_live(std::string_view app,
                                             std::optional<std::string_view> colour) {
  statement(db_, "UPDATE apps SET previous_live = ?2 WHERE name = ?1").bind(1, app).bind(2, colour).run();
}

void app_state_repository::set_drift(std::string_view app,
                                     std::optional<std::string_view> reason) {
  transaction tx(db_);
  statement(db_, "UPDATE apps SET drifted = ?2, drift_reason = ?3 WHERE name = ?1")
      .bind(1, app)
      .bind(2, reason.has_value())
      .bind(3, reason)
      .run();
  touch(db_, app);
  tx.commit();
}

void app_state_repository::record_release(std::string_view app, std::string_view colour,
                                          std::string_view ref, std::string_view sha,
                                          std::string_view deployed_by) {
  transaction tx(db_);
  statement(db_, R"sql(
UPDATE colour_state
SET ref = ?3, sha = ?4, deployed_by = ?5, verified = 0,
    deployed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE app = ?1 AND colour = ?2)sql")
      .bind(1, app)
      .bind(2, colour)
      .bind(3, ref)
      .bind(4, sha)
      .bind(5, deployed_by)
      .run();
  touch(db_, app);
  tx.commit();
}

void app_state_repository::set_verified(std::string_view app, std::string_view colour,
                                        bool verified) {
  statement(db_, "UPDATE colour_state SET verified = ?3 WHERE app = ?1 AND colour = ?2")
      .bind(1, app)
      .bind(2, colour)
      .bind(3, verified)
      .run();
}

void app_state_repository::set_health(std::string_view app, std::string_view colour,
                                      std::string_view health) {
  statement(db_, R"sql(
UPDATE colour_state SET health = ?3, health_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE app = ?1 AND colour = ?2)sql")
      .bind(1, app)
      .bind(2, colour)
      .bind(3, health)
      .run();
}

}  // namespace bluegreen::storage
