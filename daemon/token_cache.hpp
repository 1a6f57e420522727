// token_cache keeps the active API tokens (the digest of each secret, its id,
// name and scope) in memory, so verifying a bearer token reads no table.
// It stays true without a query per request: before each lookup it asks
// the connection for SQLite's data_version, which changes when another
// connection (the `bluegreend token` commands run by an operator) commits
// to the file, and reloads the active tokens when it changed. Changes made
// on its own connection do not move data_version; whoever makes them calls
// invalidate(). So a token created or revoked while the daemon runs counts
// from the next request on.
//
// Thread-safety: same as the database it uses (one thread at a time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::storage {
class database;
}

namespace bluegreen::daemon {

struct cached_token {
  std::int64_t id = 0;
  std::string name;
  std::string scope;  // read | deploy | admin, as stored
  std::string hash;   // raw digest bytes
  std::string created_at;
};

class token_cache {
 public:
  explicit token_cache(storage::database& db) : db_(db) {}

  // The active token whose stored digest equals `digest`. Compares against
  // every active token, without stopping early, so the time taken says
  // nothing about which token came close. Throws storage::error when the
  // database cannot be read.
  std::optional<cached_token> find(std::string_view digest);
  // The active token with that id (a session's token: not a secret).
  std::optional<cached_token> find_id(std::int64_t id);
  // This connection changed the tokens table: load it again on next use.
  void invalidate() { loaded_ = false; }
  // How many times the tokens were loaded (for tests of the cache itself).
  std::uint64_t loads() const { return loads_; }

 private:
  // Loads the active tokens again when another connection changed them.
  void refresh();

  storage::database& db_;
  std::vector<cached_token> active_;
  bool loaded_ = false;
  std::int64_t data_version_ = 0;  // of the connection when active_ was loaded
  std::uint64_t loads_ = 0;
};

}  // namespace bluegreen::daemon
