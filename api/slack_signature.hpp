// Checks the signature Slack puts on every request it sends (slash
// commands): "X-Slack-Signature: v0=<hex>" is the HMAC-SHA256, under the
// app's signing secret, of "v0:<X-Slack-Request-Timestamp>:<raw body>".
// A timestamp more than 300 s from now, in the past or the future, is
// refused, and so is a signature already accepted while its timestamp is
// within that window (a replay): accepted signatures are remembered in the
// state database (storage::delivery_repository, source "slack") until
// their timestamp is 300 s old, so a restart forgets none. Digests are
// compared in constant time; refusals say what is wrong and what to do,
// and never contain the secret or the expected digest.
//
// Thread-safety: the pure functions from anywhere; the verifier on the io
// thread that owns the database.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/route_policy.hpp"

namespace bluegreen::storage {
class database;
}

namespace bluegreen::api {

constexpr std::string_view kSlackSignatureHeader = "X-Slack-Signature";
constexpr std::string_view kSlackTimestampHeader = "X-Slack-Request-Timestamp";
// How far a request's timestamp may be from now, either way.
constexpr std::int64_t kSlackWindowSeconds = 300;

// "v0=" and the hex HMAC-SHA256 of "v0:<timestamp>:<body>" under `secret`.
std::string slack_signature(std::string_view secret, std::string_view timestamp,
                            std::string_view body);

// nullopt when `signature` signs `body` with `timestamp` under `secret` and
// the timestamp is within the window of `now` (seconds since the epoch).
// `timestamp` and `signature` are the headers' values, nullptr when absent.
std::optional<refusal> check_slack_signature(std::string_view secret, std::string_view body,
                                             const std::string* timestamp,
                                             const std::string* signature, std::int64_t now);

struct slack_verifier_options {
  // The signing secret at the time of the request (it changes on a reload);
  // when it has none, `unavailable` says why the route cannot be used.
  std::function<const std::optional<std::string>&()> secret;
  std::function<refusal()> unavailable;
  storage::database* db = nullptr;  // where accepted signatures are remembered
  std::function<std::chrono::system_clock::time_point()> now = std::chrono::system_clock::now;
};

// The route's verifier: the signature, the window and the replay check, in
// that order, before anything is parsed. The one exception is Slack's
// certificate check (a form with ssl_check=1 and no signature), accepted
// so that its handler can answer 200 and do nothing else.
request_verifier slack_request_verifier(slack_verifier_options options);

}  // namespace bluegreen::api
