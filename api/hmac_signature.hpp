// Checks request signatures made as GitHub signs its webhooks: a header such
// as "X-Hub-Signature-256: sha256=<64 hex digits>" carries the HMAC-SHA256 of
// the raw body under a secret shared with the sender. Digests are compared
// in constant time. Refusals say what is wrong and what to send, and never
// contain the secret or the expected digest. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/route_policy.hpp"
#include "daemon/hmac_sha256.hpp"

namespace bluegreen::api {

constexpr std::string_view kGithubSignatureHeader = "X-Hub-Signature-256";

// The HMAC-SHA256 of `body` under `secret`, as lower-case hex (the daemon
// core's, so that signing and verifying share one digest).
using daemon::hmac_sha256_hex;

// nullopt when `signature` (the header's value; nullptr when the header is
// absent) is "sha256=" and the HMAC-SHA256 of `body` under `secret`, in hex
// of either case. `header_name` is only used in the messages.
std::optional<refusal> check_hmac_sha256(std::string_view secret, std::string_view body,
                                         const std::string* signature,
                                         std::string_view header_name = kGithubSignatureHeader);

// A route's verifier that reads the signature from `header_name`.
request_verifier hmac_sha256_verifier(
    std::string secret, std::string header_name = std::string(kGithubSignatureHeader));

}  // namespace bluegreen::api
