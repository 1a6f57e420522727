#include "daemon/template.hpp"

#include "daemon/shell_quote.hpp"

namespace bluegreen::daemon {

std::string expand(std::string_view text, const template_values& values, bool quote) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      size_t close = text.find('}', i + 1);
      if (close != std::string_view::npos) {
        auto it = values.find(text.substr(i + 1, close - i - 1));
        if (it != values.end()) {
          out += quote ? shell_quote(it->second) : it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace bluegreen::daemon
