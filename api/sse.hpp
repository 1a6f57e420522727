// sse writes Server-Sent Events messages: `id:` (when given), `event:` and
// one `data:` line of JSON (json_text: bytes that are not UTF-8 become
// U+FFFD, and no raw newline can end the line early). Pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace bluegreen::api {

std::string sse_message(std::string_view event, const nlohmann::json& data,
                        std::optional<std::int64_t> id);

// Whether the token a stream was opened with still counts, asked at most
// once a second: a stream of a revoked token ends at its next message.
class credential_recheck {
 public:
  explicit credential_recheck(std::function<bool()> still_allowed)
      : still_allowed_(std::move(still_allowed)) {}
  bool ok();

 private:
  std::function<bool()> still_allowed_;
  std::chrono::steady_clock::time_point next_{};
  bool ok_ = true;
};

// A comment line: proxies see traffic on an idle stream, clients ignore it.
inline constexpr std::string_view kSseHeartbeat = ": heartbeat\n\n";

}  // namespace bluegreen::api
