// host[:port] text as people write it in URLs and configuration: a host name,
// an IPv4 literal, or an IPv6 literal in brackets, and a decimal port. One
// set of rules for the HTTP client's URLs and the configuration's addresses
// (listen, upstreams, SSH destinations). Pure text handling.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bluegreen::net {

struct host_port {
  std::string host;  // an IPv6 literal without its brackets
  std::optional<std::uint16_t> port;
};

struct host_port_rules {
  bool port_required = false;
  bool allow_zero_port = false;  // for listening on a port the system picks
};

// Refuses an IPv6 literal without brackets, a bracketed text that is not an
// IPv6 address, host names with characters DNS names never have, and ports
// that are not 1-65535 (0 too when allowed).
std::optional<host_port> parse_host_port(std::string_view text, host_port_rules rules = {});

// Decimal 0-65535 without sign or spaces.
std::optional<std::uint16_t> parse_port(std::string_view text);
// An IPv4 or IPv6 literal (IPv6 without brackets).
bool is_ip_address(const std::string& text);
// Letters, digits, '.', '-' and '_', at most 253 characters.
bool is_host_name(std::string_view host);

}  // namespace bluegreen::net
