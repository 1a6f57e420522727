// token_repository stores API tokens by name, scope and the hash of their
// secret (never the secret itself). Revoked tokens stay as history; a name
// can be reused once its token is revoked.
//
// Thread-safety: same as the database it uses.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::storage {

class database;

struct token_record {
  std::int64_t id = 0;
  std::string name;
  std::string scope;  // metrics | read | deploy | admin
  std::string hash;   // raw digest bytes
  std::string created_at;
  std::optional<std::string> revoked_at;
  std::optional<std::string> last_used_at;
};

class token_repository {
 public:
  explicit token_repository(database& db) : db_(db) {}

  // Returns the new id, or nullopt when an active token has that name.
  std::optional<std::int64_t> insert(std::string_view name, std::string_view scope,
                                     std::string_view hash);
  // Tokens that are not revoked.
  std::vector<token_record> active();
  // Every token, revoked ones included, oldest first.
  std::vector<token_record> all();
  // Returns whether an active token of that name was revoked.
  bool revoke(std::string_view name);
  // Records when each token was last used (token id, UTC timestamp in the
  // format of created_at), in one transaction.
  void mark_used(const std::map<std::int64_t, std::string>& last_use);

 private:
  database& db_;
};

}  // namespace bluegreen::storage
