#include "daemon/notify/delivery_policy.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "daemon/net/http_header.hpp"

namespace bluegreen::notify {

std::chrono::milliseconds backoff(int attempt) {
  int doublings = std::clamp(attempt - 1, 0, 6);
  return std::min<std::chrono::milliseconds>(kFirstBackoff * (1 << doublings),
                                             std::chrono::minutes(1));
}

std::optional<std::chrono::milliseconds> asked_wait(const std::optional<std::string>& header,
                                                    std::string_view body) {
  // Up to about 31 years: larger is no wait anyone will keep anyway, and
  // stays clear of overflow in milliseconds.
  if (header)
    if (auto s = net::decimal_value(*header); s && *s < 1'000'000'000)
      return std::chrono::seconds(*s);
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("retry_after") && parsed["retry_after"].is_number()) {
    double seconds = parsed["retry_after"].get<double>();
    if (std::isfinite(seconds) && seconds >= 0 && seconds < 1e6)
      return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000)));
  }
  return std::nullopt;
}

verdict judge(const attempt_outcome& outcome, int attempt, std::chrono::milliseconds elapsed) {
  verdict v;
  if (outcome.status && *outcome.status >= 200 && *outcome.status < 300) {
    v.what = verdict::action::delivered;
    v.why = "HTTP " + std::to_string(*outcome.status);
    return v;
  }
  std::optional<std::chrono::milliseconds> wait;
  if (!outcome.status) {
    v.why = outcome.error.empty() ? std::string("no answer") : outcome.error;
    if (outcome.transient) wait = backoff(attempt);
  } else {
    v.why = "HTTP " + std::to_string(*outcome.status);
    if (*outcome.status == 429)
      wait = asked_wait(outcome.retry_after, outcome.body).value_or(backoff(attempt));
    else if (*outcome.status >= 500)
      wait = backoff(attempt);
  }
  if (!wait) {
    v.what = verdict::action::give_up;  // a 4xx or a redirect: the same request fails again
    return v;
  }
  if (attempt >= kMaxAttempts || elapsed + *wait > kGiveUpAfter) {
    v.what = verdict::action::give_up;
    return v;
  }
  v.what = verdict::action::retry;
  v.wait = *wait;
  return v;
}

}  // namespace bluegreen::notify
