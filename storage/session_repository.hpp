// session_repository stores the dashboard's sign-in sessions: the digest of
// each session's cookie value (never the value itself), the API token it was
// opened with and when it expires. Times are UTC text as the rest of the
// schema writes them, so they compare as strings.
//
// Thread-safety: same as the database it uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bluegreen::storage {

class database;

struct session_record {
  std::int64_t token_id = 0;
  std::string hash;  // raw digest bytes
  std::string expires_at;
};

class session_repository {
 public:
  explicit session_repository(database& db) : db_(db) {}

  void insert(std::string_view hash, std::int64_t token_id, std::string_view expires_at);
  // The session whose digest is `hash`, expired or not.
  std::optional<session_record> find(std::string_view hash);
  // Returns whether a session was removed.
  bool remove(std::string_view hash);
  // Removes the sessions that expired at or before `now`; returns how many.
  std::int64_t remove_expired(std::string_view now);

 private:
  database& db_;
};

}  // namespace bluegreen::storage
