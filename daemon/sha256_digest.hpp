// The SHA-256 digest of a secret, as the state database stores tokens and
// session cookies (never the secret itself). Pure function.
#pragma once

#include <string>
#include <string_view>

namespace bluegreen::daemon {

// The 32 raw bytes of SHA-256(value).
std::string sha256_digest(std::string_view value);

}  // namespace bluegreen::daemon
