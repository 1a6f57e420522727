// Parses a Server-Sent Events body as tests receive it: each complete
// message's id, event name and data (one line of JSON, parsed strictly),
// and how many comment lines (heartbeats) came.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace bluegreen::testing {

struct sse_message {
  std::optional<std::int64_t> id;
  std::string event;
  nlohmann::json data;
};

struct sse_body {
  std::vector<sse_message> messages;
  int comments = 0;
};

// Only complete messages (ended by a blank line) count. Throws when a data
// line is not valid JSON.
inline sse_body parse_sse(const std::string& text) {
  sse_body out;
  size_t pos = 0;
  for (size_t end; (end = text.find("\n\n", pos)) != std::string::npos; pos = end + 2) {
    std::string block = text.substr(pos, end - pos);
    sse_message m;
    bool comment = false;
    size_t at = 0;
    while (at <= block.size()) {
      size_t line_end = block.find('\n', at);
      if (line_end == std::string::npos) line_end = block.size();
      std::string line = block.substr(at, line_end - at);
      if (line.starts_with(":"))
        comment = true;
      else if (line.starts_with("id: "))
        m.id = std::stoll(line.substr(4));
      else if (line.starts_with("event: "))
        m.event = line.substr(7);
      else if (line.starts_with("data: "))
        m.data = nlohmann::json::parse(line.substr(6));
      at = line_end + 1;
    }
    if (comment && m.event.empty())
      ++out.comments;
    else
      out.messages.push_back(std::move(m));
  }
  return out;
}

}  // namespace bluegreen::testing
