#include "storage/operation_repository.hpp"

#include <sqlite3.h>

#include "storage/database.hpp"
#include "storage/error.hpp"
#include "storage/statement.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::storage {

namespace {

constexpr std::string_view kColumns =
    "id, app, kind, state, colour, ref, sha, task, actor, channel, detail, error, created_at, "
    "started_at, finished_at, error_code";

// A name the schema's CHECK allows but this build does not know can only
// come from a file another build wrote: say so rather than guess.
[[noreturn]] void unknown_name(std::int64_t id, std::string_view what, std::string_view text) {
  throw error(SQLITE_MISMATCH, "operation #" + std::to_string(id) + " has the " +
                                   std::string(what) + " \"" + std::string(text) +
                                   "\", which this bluegreend does not know; the state database "
                                   "was written by another version: run that version");
}

operation_record read_operation(const statement& row) {
  operation_record op;
  op.id = row.column_int(0);
  op.app = row.column_text(1);
  std::string kind = row.column_text(2);
  auto known_kind = parse_operation_kind(kind);
  if (!known_kind) unknown_name(op.id, "kind", kind);
  op.kind = *known_kind;
  std::string state = row.column_text(3);
  auto known_state = parse_operation_state(state);
  if (!known_state) unknown_name(op.id, "state", state);
  op.state = *known_state;
  op.colour = row.column_optional_text(4);
  op.ref = row.column_optional_text(5);
  op.sha = row.column_optional_text(6);
  op.task = row.column_optional_text(7);
  op.actor = row.column_text(8);
  op.channel = row.column_text(9);
  op.detail = row.column_optional_text(10);
  op.error = row.column_optional_text(11);
  op.created_at = row.column_text(12);
  op.started_at = row.column_optional_text(13);
  op.finished_at = row.column_optional_text(14);
  op.error_code = row.column_optional_text(15);
  return op;
}

std::vector<operation_record> read_all(statement& query) {
  std::vector<operation_record> ops;
  while (query.step()) ops.push_back(read_operation(query));
  return ops;
}

}  // namespace

std::int64_t operation_repository::create(const new_operation& op) {
  statement insert(db_, R"sql(
INSERT INTO operations (app, kind, state, colour, ref, sha, task, actor, channel, detail, started_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
        CASE WHEN ?3 = 'running' THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END))sql");
  insert.bind(1, op.app)
      .bind(2, to_string(op.kind))
      .bind(3, to_string(op.state))
      .bind(4, op.colour)
      .bind(5, op.ref)
      .bind(6, op.sha)
      .bind(7, op.task)
      .bind(8, op.actor)
      .bind(9, op.channel)
      .bind(10, op.detail)
      .run();
  return db_.last_insert_id();
}

std::optional<operation_record> operation_repository::find(std::int64_t id) {
  statement query(db_, "SELECT " + std::string(kColumns) + " FROM operations WHERE id = ?1");
  query.bind(1, id);
  if (!query.step()) return std::nullopt;
  return read_operation(query);
}

std::vector<operation_record> operation_repository::list(std::optional<std::string_view> app,
                                                         int limit,
                                                         std::optional<std::int64_t> before_id) {
  statement query(db_, "SELECT " + std::string(kColumns) +
                           " FROM operations WHERE (?1 IS NULL OR app = ?1)"
                           " AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3");
  query.bind(1, app).bind(2, before_id).bind(3, limit);
  return read_all(query);
}

std::vector<operation_record> operation_repository::unfinished() {
  statement query(db_, "SELECT " + std::string(kColumns) +
                           " FROM operations WHERE state IN ('queued', 'running', 'ready')"
                           " ORDER BY id");
  return read_all(query);
}

void operation_repository::set_state(std::int64_t id, operation_state state,
                                     const std::optional<operation_error>& error) {
  statement update(db_, R"sql(
UPDATE operations SET
  state = ?2,
  error = COALESCE(?3, error),
  error_code = COALESCE(?5, error_code),
  started_at = CASE WHEN ?2 = 'running' AND started_at IS NULL
                    THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') ELSE started_at END,
  finished_at = CASE WHEN ?4 THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') ELSE finished_at END
WHERE id = ?1)sql");
  update.bind(1, id).bind(2, to_string(state)).bind(4, is_terminal_state(state));
  if (error)
    update.bind(3, error->message).bind(5, error->code);
  else
    update.bind_null(3).bind_null(5);
  update.run();
}

void operation_repository::set_sha(std::int64_t id, std::string_view sha) {
  statement(db_, "UPDATE operations SET sha = ?2 WHERE id = ?1").bind(1, id).bind(2, sha).run();
}

void operation_repository::set_colour(std::int64_t id, std::string_view colour) {
  statement(db_, "UPDATE operations SET colour = ?2 WHERE id = ?1")
      .bind(1, id)
      .bind(2, colour)
      .run();
}

void operation_repository::set_detail(std::int64_t id, std::string_view detail) {
  statement(db_, "UPDATE operations SET detail = ?2 WHERE id = ?1")
      .bind(1, id)
      .bind(2, detail)
      .run();
}

void operation_repository::set_remote_marker(std::int64_t id,
                                             std::optional<std::string_view> marker,
                                             std::string_view hosts) {
  statement update(db_,
                   "UPDATE operations SET remote_marker = ?2, remote_hosts = ?3 WHERE id = ?1");
  update.bind(1, id);
  if (marker)
    update.bind(2, *marker).bind(3, hosts);
  else
    update.bind(2, std::optional<std::string>()).bind(3, std::optional<std::string>());
  update.run();
}

std::vector<operation_repository::leftover> operation_repository::leftovers(std::string_view app) {
  statement query(db_,
                  "SELECT id, COALESCE(colour, ''), remote_marker, COALESCE(remote_hosts, '')"
                  " FROM operations"
                  " WHERE app = ?1 AND state = 'interrupted' AND remote_marker IS NOT NULL"
                  " ORDER BY id");
  query.bind(1, app);
  std::vector<leftover> out;
  while (query.step())
    out.push_back(
        {query.column_int(0), query.column_text(1), query.column_text(2), query.column_text(3)});
  return out;
}

std::int64_t operation_repository::append_log(std::int64_t operation_id,
                                              std::optional<std::string_view> host,
                                              std::string_view stream, std::string_view text) {
  statement insert(db_,
                   "INSERT INTO operation_log (operation_id, host, stream, text)"
                   " VALUES (?1, ?2, ?3, ?4)");
  insert.bind(1, operation_id).bind(2, host).bind(3, stream).bind(4, text).run();
  return db_.last_insert_id();
}

std::int64_t operation_repository::append_log_batch(std::int64_t operation_id,
                                                    const std::vector<new_line>& lines) {
  transaction tx(db_);
  statement insert(db_,
                   "INSERT INTO operation_log (operation_id, host, stream, text)"
                   " VALUES (?1, ?2, ?3, ?4)");
  for (const auto& line : lines) {
    insert.bind(1, operation_id).bind(2, line.host).bind(3, line.stream).bind(4, line.text).run();
    insert.reset();
  }
  tx.commit();
  return db_.last_insert_id();
}

std::vector<log_line> operation_repository::log(std::int64_t operation_id, std::int64_t after_id,
                                                int limit) {
  statement query(db_,
                  "SELECT id, operation_id, at, host, stream, text FROM operation_log"
                  " WHERE operation_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
  query.bind(1, operation_id).bind(2, after_id).bind(3, limit);
  std::vector<log_line> lines;
  while (query.step()) {
    log_line line;
    line.id = query.column_int(0);
    line.operation_id = query.column_int(1);
    line.at = query.column_text(2);
    line.host = query.column_optional_text(3);
    line.stream = query.column_text(4);
    line.text = query.column_text(5);
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace bluegreen::storage
