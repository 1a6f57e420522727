// audit_repository stores the audit log: who (actor) did what (action) to
// which app, through which channel (api, cli, slack, github, system).
//
// Thread-safety: same as the database it uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::storage {

class database;

struct new_audit_event {
  std::string actor;
  std::string channel;
  std::string action;
  std::optional<std::string> app;
  std::optional<std::int64_t> operation_id;
  std::optional<std::string> detail;
};

struct audit_event {
  std::int64_t id = 0;
  std::string at;
  std::string actor;
  std::string channel;
  std::string action;
  std::optional<std::string> app;
  std::optional<std::int64_t> operation_id;
  std::optional<std::string> detail;
};

class audit_repository {
 public:
  explicit audit_repository(database& db) : db_(db) {}

  std::int64_t record(const new_audit_event& event);
  // Newest first; `app` filters, `before_id` pages.
  std::vector<audit_event> list(int limit, std::optional<std::int64_t> before_id = std::nullopt,
                                std::optional<std::string_view> app = std::nullopt);

 private:
  database& db_;
};

}  // namespace bluegreen::storage
