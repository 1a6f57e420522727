#include "cli/sse_reader.hpp"

namespace bluegreen::cli {

std::vector<sse_event> sse_reader::feed(std::string_view piece) {
  std::vector<sse_event> out;
  for (char c : piece) {
    if (overflowed_) break;
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // the \n of a \r\n
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      line(pending_, out);
      pending_.clear();
      continue;
    }
    pending_ += c;
    if (pending_.size() > max_message_bytes) overflowed_ = true;
  }
  return out;
}

void sse_reader::line(std::string_view text, std::vector<sse_event>& out) {
  if (text.empty()) {
    if (has_fields_) {
      if (has_data_) out.push_back(std::move(current_));
      current_ = sse_event{};
      has_data_ = has_fields_ = false;
    }
    return;
  }
  if (text.front() == ':') {
    ++comments_;
    return;
  }
  auto colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  has_fields_ = true;
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data += value;
    has_data_ = true;
    if (current_.data.size() > max_message_bytes) overflowed_ = true;
  } else if (field == "event") {
    current_.event = std::string(value);
  } else if (field == "id") {
    current_.id = std::string(value);
  }
}

}  // namespace bluegreen::cli
