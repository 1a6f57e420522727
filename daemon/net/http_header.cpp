#include "daemon/net/http_header.hpp"

#include <charconv>

#include "daemon/ascii_case.hpp"

namespace bluegreen::net {

bool header_name_is(std::string_view name, std::string_view expected) {
  return daemon::equal_ignoring_ascii_case(name, expected);
}

std::optional<std::string> find_header(const std::vector<http_header>& headers,
                                       std::string_view name) {
  for (const auto& h : headers)
    if (header_name_is(h.name, name)) return h.value;
  return std::nullopt;
}

std::optional<std::int64_t> decimal_value(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < 0) return std::nullopt;
  return n;
}

}  // namespace bluegreen::net
