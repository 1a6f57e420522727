#include "daemon/net/host_port.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace bluegreen::net {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

std::optional<host_port> parse_host_port(std::string_view text, host_port_rules rules) {
  host_port out;
  std::string_view port_text;
  bool has_port = false;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    in6_addr address{};
    if (inet_pton(AF_INET6, out.host.c_str(), &address) != 1) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return std::nullopt;
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    auto colon = text.find(':');
    if (colon != std::string_view::npos) {
      if (text.find(':', colon + 1) != std::string_view::npos) return std::nullopt;  // bare IPv6
      port_text = text.substr(colon + 1);
      has_port = true;
    }
    out.host = std::string(text.substr(0, colon));
    if (!is_host_name(out.host)) return std::nullopt;
  }
  if (!has_port) {
    if (rules.port_required) return std::nullopt;
    return out;
  }
  out.port = parse_port(port_text);
  if (!out.port || (*out.port == 0 && !rules.allow_zero_port)) return std::nullopt;
  return out;
}

}  // namespace bluegreen::net
