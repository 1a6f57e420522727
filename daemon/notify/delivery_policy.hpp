// delivery_policy decides, after each attempt to deliver a notification,
// whether it was delivered, should be tried again (and after how long), or
// is given up: a 2xx is delivered; no answer (connection refused, timeout)
// or a 5xx is retried with exponential backoff; a 429 is retried after its
// Retry-After (seconds) or Discord's "retry_after" (float seconds in the
// body); any other answer (a 4xx, a redirect, which is never followed) is
// given up at once, as trying again would change nothing; so is a request
// that got no answer for a reason that would not change either. At most
// kMaxAttempts attempts, and never a wait that ends after kGiveUpAfter from
// the first.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bluegreen::notify {

constexpr int kMaxAttempts = 5;
constexpr std::chrono::milliseconds kGiveUpAfter = std::chrono::minutes(10);
constexpr std::chrono::milliseconds kFirstBackoff = std::chrono::seconds(1);

// What came of one attempt.
struct attempt_outcome {
  std::optional<int> status;               // nothing: no answer
  std::optional<std::string> retry_after;  // the Retry-After header
  std::string body;
  std::string error;  // why there was no answer
  // No answer, but one may come next time (a refused connection, a
  // timeout); false for what would fail the same way again (a request the
  // client or the [outbound] policy refuses).
  bool transient = true;
};

struct verdict {
  enum class action { delivered, retry, give_up };
  action what = action::give_up;
  std::chrono::milliseconds wait{0};  // before the next attempt (retry)
  std::string why;                    // for the log: "HTTP 503", "connect: ..."
};

// `attempt` counts from 1; `elapsed` is the time since the first attempt
// began.
verdict judge(const attempt_outcome& outcome, int attempt, std::chrono::milliseconds elapsed);

// The wait after failed attempt `attempt` (1, 2, 4, 8 ... seconds, at most a
// minute).
std::chrono::milliseconds backoff(int attempt);

// How long a 429 asks to wait: the Retry-After header (whole seconds), else
// the body's "retry_after" (seconds, possibly fractional); nothing when
// neither says.
std::optional<std::chrono::milliseconds> asked_wait(const std::optional<std::string>& header,
                                                    std::string_view body);

}  // namespace bluegreen::notify
