// token_service creates, verifies, lists and revokes API bearer tokens.
// A token is shown once at creation; only its SHA-256 digest is stored, and
// a presented token is compared against every stored digest in constant
// time. Scopes (daemon/scope) are ordered.
// Verifying never writes: a token's last use is kept in memory and written
// by flush_last_use() (the daemon calls it once a minute and at stop), so
// reads cost no disk sync and keep working on a full disk. The active
// tokens themselves are kept in a token_cache, so verifying reads no table
// (see token_cache for how it learns of the token commands' changes).
//
// Thread-safety: same as the database it uses (one thread at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/result.hpp"
#include "daemon/scope.hpp"
#include "daemon/token_cache.hpp"

namespace bluegreen::storage {
class database;
}

namespace bluegreen::daemon {

struct token_info {
  std::int64_t id = 0;
  std::string name;
  scope granted = scope::read;
  std::string created_at;
  std::optional<std::string> revoked_at;
  std::optional<std::string> last_used_at;
};

// Token names: 1 to 64 of [A-Za-z0-9._@-], so they read well in the audit log.
bool is_valid_token_name(std::string_view name);

class token_service {
 public:
  explicit token_service(storage::database& db) : db_(db), cache_(db) {}

  // Returns the secret (to be shown once), or a failure when the name is
  // invalid (code "invalid_token_name") or already used by an active token
  // ("token_exists"). `actor` is who asked (recorded in the audit log).
  result<std::string> create(std::string_view name, scope s, std::string_view actor);
  // The token a secret belongs to, when it is active. Reads only.
  std::optional<token_info> verify(std::string_view secret);
  // The active token with that id, with its current scope (a session's
  // token); notes its use as verify() does.
  std::optional<token_info> active(std::int64_t id);
  bool revoke(std::string_view name, std::string_view actor);
  std::vector<token_info> list();

  // Writes the last uses seen since the previous flush. When the write fails
  // (a full disk) they are kept for the next flush and the reason is logged
  // once; returns whether everything is written.
  bool flush_last_use();

  // How often the daemon flushes last uses.
  static constexpr std::chrono::minutes kFlushInterval{1};

 private:
  // The token found, its use noted for flush_last_use().
  std::optional<token_info> used(const std::optional<cached_token>& found);

  storage::database& db_;
  token_cache cache_;
  // Token id -> UTC timestamp of its last use, not yet written.
  std::map<std::int64_t, std::string> unwritten_use_;
  bool flush_failing_ = false;
};

}  // namespace bluegreen::daemon
