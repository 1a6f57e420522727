// Reads Server-Sent Events as the body arrives, in pieces cut anywhere: each
// complete message (ended by a blank line) with its id, event name and data
// (several data lines joined by '\n'). Comment lines (": keep-alive") are
// counted, not returned. Lines end with \n, \r\n or \r, as the format allows.
// A line or a message's data longer than max_message_bytes (1 MiB) is not the
// API's stream: the reader stops there and says so (overflowed()), rather
// than holding an endless line in memory.
//
// Thread-safety: one reader per stream, used by one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::cli {

struct sse_event {
  std::optional<std::string> id;
  std::string event = "message";
  std::string data;
};

class sse_reader {
 public:
  // The messages that `piece` completed, in order.
  std::vector<sse_event> feed(std::string_view piece);
  int comments() const { return comments_; }
  bool overflowed() const { return overflowed_; }

  static constexpr size_t max_message_bytes = 1024 * 1024;

 private:
  void line(std::string_view text, std::vector<sse_event>& out);

  std::string pending_;  // an incomplete line
  bool after_cr_ = false;
  sse_event current_;
  bool has_data_ = false;
  bool has_fields_ = false;
  int comments_ = 0;
  bool overflowed_ = false;
};

}  // namespace bluegreen::cli
