#include "api/sse.hpp"

#include <nlohmann/json.hpp>

#include "api/json_text.hpp"

namespace bluegreen::api {

std::string sse_message(std::string_view event, const nlohmann::json& data,
                        std::optional<std::int64_t> id) {
  std::string out;
  if (id) out += "id: " + std::to_string(*id) + "\n";
  out += "event: ";
  out += event;
  out += "\ndata: " + json_text(data) + "\n\n";
  return out;
}

bool credential_recheck::ok() {
  if (!still_allowed_ || !ok_) return ok_;
  auto now = std::chrono::steady_clock::now();
  if (now >= next_) {
    ok_ = still_allowed_();
    next_ = now + std::chrono::seconds(1);
  }
  return ok_;
}

}  // namespace bluegreen::api
