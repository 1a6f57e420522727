// HMAC-SHA256, the one keyed digest of the daemon: webhooks it receives are
// verified with it (api/hmac_signature) and the notifications it sends are
// signed with it (notify/message_format). Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace bluegreen::daemon {

// The 32 raw bytes of HMAC-SHA256(key, data).
std::string hmac_sha256(std::string_view key, std::string_view data);

// The same as 64 lower-case hex digits.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace bluegreen::daemon
