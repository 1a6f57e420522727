#include "daemon/hmac_sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace bluegreen::daemon {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // An empty view may hold a null pointer; OpenSSL wants a readable one.
  static const unsigned char kEmpty = 0;
  const auto* bytes = data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  const void* key_bytes = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()), bytes, data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : hmac_sha256(key, data)) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

}  // namespace bluegreen::daemon
