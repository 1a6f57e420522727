// lock_repository stores the per-app locks: the "operation" lock held by the
// one operation running on an app, and the "manual" lock an operator sets
// (release freeze). Acquiring is atomic in the database.
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

struct lock_record {
  std::string app;
  std::string kind;  // operation | manual
  std::string holder;
  std::optional<std::string> reason;
  std::optional<std::int64_t> operation_id;
  std::string acquired_at;
};

class lock_repository {
 public:
  explicit lock_repository(database& db) : db_(db) {}

  // Takes the lock, or returns the lock that is already held (and takes
  // nothing).
  std::optional<lock_record> try_acquire(std::string_view app, std::string_view kind,
                                         std::string_view holder,
                                         std::optional<std::string_view> reason,
                                         std::optional<std::int64_t> operation_id);
  // Returns whether a lock was held.
  bool release(std::string_view app, std::string_view kind);
  std::optional<lock_record> find(std::string_view app, std::string_view kind);
  std::vector<lock_record> all();
  // Releases every operation lock (at start-up, after marking what ran as
  // interrupted); returns how many were held.
  int release_all_operation_locks();

 private:
  database& db_;
};

}  // namespace bluegreen::storage
