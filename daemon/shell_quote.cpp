#include "daemon/shell_quote.hpp"

namespace bluegreen::daemon {

std::string shell_quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += "'";
  return out;
}

}  // namespace bluegreen::daemon
