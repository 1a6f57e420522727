// session_service opens, verifies and ends the dashboard's sign-in sessions.
// A browser signs in once with an API token's secret and from then on sends
// only a session value (in an HttpOnly cookie), so no page script ever holds
// a credential. A session value is 256 random bits in base64url; only its
// SHA-256 digest is stored, with the token it came from and its expiry, so
// sessions survive a restart and a copy of the state file opens none. A
// session acts as its token does now: a token revoked later ends its sessions
// at once, and its scope is the token's current one. Expired sessions are
// refused, removed when they are presented and pruned by prune_expired().
//
// Thread-safety: same as the database it uses (one thread at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/token_service.hpp"

namespace bluegreen::storage {
class database;
}

namespace bluegreen::daemon {

struct session_info {
  token_info token;        // the session's token, with its current scope
  std::string expires_at;  // UTC, as the API writes times
};

struct opened_session {
  std::string value;  // for the cookie; never stored, never logged
  session_info info;
};

// Whether `value` has the form of a session value (43 base64url
// characters), before anything is looked up. Inline: the API's cookie
// parser uses it without linking the service.
inline bool is_session_value(std::string_view value) {
  if (value.size() != 43) return false;
  for (char c : value)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
}

class session_service {
 public:
  session_service(storage::database& db, token_service& tokens) : db_(db), tokens_(tokens) {}

  // A new session for the active token whose secret this is, lasting `ttl`;
  // nullopt when the secret is no active token's (nothing is stored then).
  // Throws storage::error when it cannot be stored.
  std::optional<opened_session> open(std::string_view token_secret, std::chrono::seconds ttl);
  // The session of a value, while it has not expired and its token is active.
  std::optional<session_info> verify(std::string_view value);
  // Ends the session of a value (nothing when there is none); returns
  // whether there was one.
  bool end(std::string_view value);
  // Removes the expired sessions; returns how many. Logs instead of throwing
  // when the database cannot be written (a full disk): they are refused
  // anyway and removed next time.
  std::int64_t prune_expired();

  // How often the daemon prunes.
  static constexpr std::chrono::hours kPruneInterval{1};

 private:
  storage::database& db_;
  token_service& tokens_;
};

}  // namespace bluegreen::daemon
