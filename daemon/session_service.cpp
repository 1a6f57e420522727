#include "daemon/session_service.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "daemon/sha256_digest.hpp"
#include "daemon/utc_time.hpp"
#include "storage/error.hpp"
#include "storage/session_repository.hpp"

namespace bluegreen::daemon {

namespace {

constexpr std::size_t kRandomBytes = 32;  // 256 bits: 43 characters in base64url, unpadded

std::string base64url(const unsigned char* bytes, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int held = 0;
  for (std::size_t i = 0; i < size; ++i) {
    bits = (bits << 8) | bytes[i];
    held += 8;
    while (held >= 6) {
      held -= 6;
      out += kAlphabet[(bits >> held) & 63];
    }
  }
  if (held > 0) out += kAlphabet[(bits << (6 - held)) & 63];
  return out;
}

}  // namespace

std::optional<opened_session> session_service::open(std::string_view token_secret,
                                                    std::chrono::seconds ttl) {
  auto token = tokens_.verify(token_secret);
  if (!token) return std::nullopt;
  unsigned char random[kRandomBytes];
  if (RAND_bytes(random, sizeof random) != 1)
    throw std::runtime_error("the system random generator failed");
  opened_session s;
  s.value = base64url(random, sizeof random);
  s.info.token = std::move(*token);
  s.info.expires_at = utc_text(std::chrono::system_clock::now() + ttl);
  storage::session_repository(db_).insert(sha256_digest(s.value), s.info.token.id,
                                          s.info.expires_at);
  return s;
}

std::optional<session_info> session_service::verify(std::string_view value) {
  if (!is_session_value(value)) return std::nullopt;
  std::string hash = sha256_digest(value);
  // Looked up by the digest of 256 random bits: how long the lookup takes
  // tells nothing about any stored value. The comparison is constant-time
  // all the same.
  auto found = storage::session_repository(db_).find(hash);
  if (!found || found->hash.size() != hash.size() ||
      CRYPTO_memcmp(found->hash.data(), hash.data(), hash.size()) != 0)
    return std::nullopt;
  if (found->expires_at <= utc_now()) {
    try {
      storage::session_repository(db_).remove(hash);
    } catch (const storage::error&) {
      // Refused all the same; prune_expired() removes it later.
    }
    return std::nullopt;
  }
  auto token = tokens_.active(found->token_id);
  if (!token) return std::nullopt;
  return session_info{std::move(*token), found->expires_at};
}

bool session_service::end(std::string_view value) {
  if (!is_session_value(value)) return false;
  return storage::session_repository(db_).remove(sha256_digest(value));
}

std::int64_t session_service::prune_expired() {
  try {
    return storage::session_repository(db_).remove_expired(utc_now());
  } catch (const storage::error& e) {
    spdlog::warn("cannot remove expired dashboard sessions ({}); they are refused all the same",
                 e.what());
    return 0;
  }
}

}  // namespace bluegreen::daemon
