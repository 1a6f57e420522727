#include "daemon/token_service.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "daemon/sha256_digest.hpp"
#include "daemon/utc_time.hpp"
#include "storage/audit_repository.hpp"
#include "storage/error.hpp"
#include "storage/token_repository.hpp"

namespace bluegreen::daemon {

namespace {

constexpr std::string_view kPrefix = "bgt_";

token_info to_info(const storage::token_record& r) {
  return token_info{r.id, r.name, parse_scope(r.scope).value_or(scope::read), r.created_at,
                    r.revoked_at, r.last_used_at};
}

}  // namespace

bool is_valid_token_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '@' || c == '-';
  });
}

result<std::string> token_service::create(std::string_view name, scope s, std::string_view actor) {
  if (!is_valid_token_name(name)) {
    return failure{failure::kind::invalid, "invalid_token_name",
                   "invalid token name \"" + std::string(name) +
                       "\": use 1 to 64 letters, digits, '.', '_', '@' or '-'"};
  }
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1)
    return failure{failure::kind::internal, "random_failed", "the system random generator failed"};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string secret(kPrefix);
  for (unsigned char b : random) {
    secret += kHex[b >> 4];
    secret += kHex[b & 15];
  }
  storage::token_repository tokens(db_);
  cache_.invalidate();
  if (!tokens.insert(name, to_string(s), sha256_digest(secret))) {
    return failure{failure::kind::conflict, "token_exists",
                   "a token named \"" + std::string(name) +
                       "\" already exists: revoke it first or choose another name"};
  }
  storage::audit_repository(db_).record(
      {std::string(actor), "cli", "token.create", std::nullopt, std::nullopt,
       "token " + std::string(name) + " with scope " + std::string(to_string(s))});
  return secret;
}

std::optional<token_info> token_service::verify(std::string_view secret) {
  if (!secret.starts_with(kPrefix) || secret.size() > 256) return std::nullopt;
  return used(cache_.find(sha256_digest(secret)));
}

std::optional<token_info> token_service::active(std::int64_t id) {
  return used(cache_.find_id(id));
}

std::optional<token_info> token_service::used(const std::optional<cached_token>& found) {
  if (!found) return std::nullopt;
  token_info match;
  match.id = found->id;
  match.name = found->name;
  match.granted = parse_scope(found->scope).value_or(scope::read);
  match.created_at = found->created_at;
  match.last_used_at = utc_now();
  unwritten_use_[match.id] = *match.last_used_at;
  return match;
}

bool token_service::flush_last_use() {
  if (unwritten_use_.empty()) return true;
  try {
    storage::token_repository(db_).mark_used(unwritten_use_);
  } catch (const storage::error& e) {
    if (!flush_failing_)
      spdlog::warn("cannot record when API tokens were last used ({}); trying again in a minute",
                   e.what());
    flush_failing_ = true;
    return false;
  }
  if (flush_failing_) spdlog::info("recorded when API tokens were last used again");
  flush_failing_ = false;
  unwritten_use_.clear();
  return true;
}

bool token_service::revoke(std::string_view name, std::string_view actor) {
  cache_.invalidate();
  bool revoked = storage::token_repository(db_).revoke(name);
  if (revoked)
    storage::audit_repository(db_).record(
        {std::string(actor), "cli", "token.revoke", std::nullopt, std::nullopt,
         "token " + std::string(name)});
  return revoked;
}

std::vector<token_info> token_service::list() {
  std::vector<token_info> out;
  for (const auto& t : storage::token_repository(db_).all()) {
    out.push_back(to_info(t));
    if (auto it = unwritten_use_.find(t.id); it != unwritten_use_.end())
      out.back().last_used_at = it->second;
  }
  return out;
}

}  // namespace bluegreen::daemon
