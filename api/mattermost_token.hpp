// Checks the token Mattermost sends with a custom slash command: the header
// "Authorization: Token <token>", the token Mattermost shows when the
// command is created. There is no signature over the body, so the token is
// the whole proof; it is compared in constant time (digests of both, so not
// even its length shows in the timing). Refusals say what is wrong and what
// to do, never the token.
//
// Thread-safety: the pure function from anywhere; the verifier on the io
// thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/route_policy.hpp"

namespace bluegreen::api {

// nullopt when `authorization` (the header's value; nullptr when absent)
// is "Token " followed by `token`.
std::optional<refusal> check_mattermost_token(std::string_view token,
                                              const std::string* authorization);

// The route's verifier. `token` gives the token at the time of the request
// (it changes on a reload); when there is none, `unavailable` says why the
// route cannot be used.
request_verifier mattermost_token_verifier(std::function<const std::optional<std::string>&()> token,
                                           std::function<refusal()> unavailable);

}  // namespace bluegreen::api
