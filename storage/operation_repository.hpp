// operation_repository stores operations (deploy, switch, rollback, task)
// with their state, who asked for them and through which channel, and the
// log lines they produced (per host and stream). States and kinds are
// enums here and text only in the database: a name this build does not
// know, read from the file, throws storage::error saying which operation.
//
// Thread-safety: same as the database it uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/operation_kind.hpp"
#include "storage/operation_state.hpp"

namespace bluegreen::storage {

class database;

struct new_operation {
  std::string app;
  operation_kind kind = operation_kind::deploy;
  operation_state state = operation_state::queued;
  std::optional<std::string> colour;
  std::optional<std::string> ref;
  std::optional<std::string> sha;
  std::optional<std::string> task;
  std::string actor;
  std::string channel;
  std::optional<std::string> detail;
};

struct operation_record {
  std::int64_t id = 0;
  std::string app;
  operation_kind kind = operation_kind::deploy;
  operation_state state = operation_state::queued;
  std::optional<std::string> colour;
  std::optional<std::string> ref;
  std::optional<std::string> sha;
  std::optional<std::string> task;
  std::string actor;
  std::string channel;
  std::optional<std::string> detail;
  std::optional<std::string> error;
  // Stable and machine-readable (e.g. "smoke_failed"), set with `error`.
  std::optional<std::string> error_code;
  std::string created_at;
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
};

struct log_line {
  std::int64_t id = 0;
  std::int64_t operation_id = 0;
  std::string at;
  std::optional<std::string> host;
  std::string stream;  // stdout | stderr | event
  std::string text;
};

// Why an operation ended without success: a stable code for programs and
// a message for people.
struct operation_error {
  std::string code;
  std::string message;
};

class operation_repository {
 public:
  explicit operation_repository(database& db) : db_(db) {}

  std::int64_t create(const new_operation& op);
  std::optional<operation_record> find(std::int64_t id);
  // Newest first; `app` filters, `before_id` pages.
  std::vector<operation_record> list(std::optional<std::string_view> app, int limit,
                                     std::optional<std::int64_t> before_id = std::nullopt);
  // Operations in queued, running or ready.
  std::vector<operation_record> unfinished();

  // Records the new state; started_at is set on entering running and
  // finished_at on entering a terminal state. An error replaces the
  // stored one; without one the stored error stays.
  void set_state(std::int64_t id, operation_state state,
                 const std::optional<operation_error>& error = std::nullopt);
  void set_sha(std::int64_t id, std::string_view sha);
  void set_colour(std::int64_t id, std::string_view colour);
  // What an operation did, in words, once it is known (a switch's "from
  // blue to green").
  void set_detail(std::int64_t id, std::string_view detail);
  // The marker given to the operation's remote commands and the hosts they
  // run on (opaque text, the engine's); nothing once what they may have
  // left running is stopped.
  void set_remote_marker(std::int64_t id, std::optional<std::string_view> marker,
                         std::string_view hosts = {});
  struct leftover {
    std::int64_t id = 0;
    std::string colour;
    std::string marker;
    std::string hosts;
  };
  // Interrupted operations of `app` whose remote commands may still run.
  std::vector<leftover> leftovers(std::string_view app);

  std::int64_t append_log(std::int64_t operation_id, std::optional<std::string_view> host,
                          std::string_view stream, std::string_view text);
  struct new_line {
    std::optional<std::string> host;
    std::string stream;
    std::string text;
  };
  // Appends many lines in one transaction; returns the id of the last.
  std::int64_t append_log_batch(std::int64_t operation_id, const std::vector<new_line>& lines);
  // Lines with id greater than `after_id`, oldest first.
  std::vector<log_line> log(std::int64_t operation_id, std::int64_t after_id, int limit);

 private:
  database& db_;
};

}  // namespace bluegreen::storage
