#include "daemon/net/http_header.hpp"

#include <algorithm>
#include <cctype>

namespace bluegreen::net {

bool header_name_is(std::string_view name, std::string_view expected) {
  return name.size() == expected.size() &&
         std::equal(name.begin(), name.end(), expected.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::optional<std::string> find_header(const std::vector<http_header>& headers,
                                       std::string_view name) {
  for (const auto& h : headers)
    if (header_name_is(h.name, name)) return h.value;
  return std::nullopt;
}

}  // namespace bluegreen::net
