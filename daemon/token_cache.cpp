#include "daemon/token_cache.hpp"

#include <openssl/crypto.h>

#include "storage/database.hpp"
#include "storage/token_repository.hpp"

namespace bluegreen::daemon {

void token_cache::refresh() {
  // Read before loading: a commit that lands between the two shows up as a
  // new version next time, never as a missed change.
  std::int64_t version = db_.data_version();
  if (!loaded_ || version != data_version_) {
    std::vector<cached_token> fresh;
    for (auto& t : storage::token_repository(db_).active())
      fresh.push_back({t.id, std::move(t.name), std::move(t.scope), std::move(t.hash),
                       std::move(t.created_at)});
    active_ = std::move(fresh);
    data_version_ = version;
    loaded_ = true;
    ++loads_;
  }
}

std::optional<cached_token> token_cache::find(std::string_view digest) {
  refresh();
  const cached_token* match = nullptr;
  for (const auto& t : active_) {
    if (t.hash.size() == digest.size() &&
        CRYPTO_memcmp(t.hash.data(), digest.data(), digest.size()) == 0)
      match = &t;
  }
  if (!match) return std::nullopt;
  return *match;
}

std::optional<cached_token> token_cache::find_id(std::int64_t id) {
  refresh();
  for (const auto& t : active_)
    if (t.id == id) return t;
  return std::nullopt;
}

}  // namespace bluegreen::daemon
