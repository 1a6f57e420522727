// token_service creates, verifies, lists and revokes API bearer tokens.
// A token is shown once at creation; only its SHA-256 digest is stored, and
// a presented token is compared against every stored digest in constant
// time. Scopes are ordered: admin includes deploy, deploy includes read.
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

namespace bluegreen::storage {
class database;
}

namespace bluegreen::daemon {

enum class scope { read = 0, deploy = 1, admin = 2 };

std::string_view to_string(scope s);
std::optional<scope> parse_scope(std::string_view text);
inline bool grants(scope have, scope need) { return have >= need; }

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
  explicit token_service(storage::database& db) : db_(db) {}

  // Returns the secret (to be shown once), or nullopt with `error_message`
  // when the name is invalid or already used by an active token.
  // `actor` is who asked (recorded in the audit log).
  std::optional<std::string> create(std::string_view name, scope s, std::string_view actor,
                                    std::string& error_message);
  // The token a secret belongs to, when it is active.
  std::optional<token_info> verify(std::string_view secret);
  bool revoke(std::string_view name, std::string_view actor);
  std::vector<token_info> list();

 private:
  storage::database& db_;
  // When each token's last use was written: at most once a minute, so a
  // busy client does not cost a disk sync per request.
  std::map<std::int64_t, std::chrono::steady_clock::time_point> last_marked_;
};

}  // namespace bluegreen::daemon
