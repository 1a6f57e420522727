#include "daemon/sha256_digest.hpp"

#include <openssl/sha.h>

namespace bluegreen::daemon {

std::string sha256_digest(std::string_view value) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(value.data()), value.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

}  // namespace bluegreen::daemon
