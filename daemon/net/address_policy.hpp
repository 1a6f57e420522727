// address_policy decides which addresses the daemon's requests to URLs that
// came from outside - notification targets, a chat command's response_url -
// may reach: public addresses only, never loopback, private, link-local or
// cloud metadata addresses, unless the operator allowed the host name or a
// network explicitly ([outbound] allow).
//
// The host text of a URL is read as the C library's resolver reads it, so
// that no spelling of an address slips past: every inet_aton form of IPv4
// ("2130706433", "0177.0.0.1", "0x7f.1", "127.1") and IPv6 literals, whose
// IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms are judged by the IPv4
// address they carry. Pure text and byte handling (no sockets), so that the
// configuration loader and the fuzz target use the same rules.
//
// Thread-safety: the free functions are pure; an address_policy is
// immutable once built: share it through shared_ptr<const>.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::net {

struct ip_address {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4

  // Canonical text: dotted decimal, or RFC 5952 IPv6 (inet_ntop).
  std::string text() const;
  friend bool operator==(const ip_address&, const ip_address&) = default;
};

// IPv4 text in every form inet_aton (and so getaddrinfo) accepts: one to
// four parts separated by '.', each decimal, octal (leading 0) or
// hexadecimal (0x), the last part filling the remaining bytes. Nothing
// before or after.
std::optional<ip_address> parse_ipv4_any(std::string_view text);

// An IPv4 address in any inet_aton form, or an IPv6 literal (without
// brackets or zone).
std::optional<ip_address> parse_ip_literal(std::string_view text);

// Why `address` is not one bluegreend may reach without an allowance, as a
// noun phrase for people ("a loopback address"); nullopt for a global
// unicast address.
std::optional<std::string> special_use(const ip_address& address);

// One entry of [outbound] allow: a host name (lower case, no trailing dot)
// or an address/network. `error` says why the text is neither (then the
// rest is meaningless).
struct allow_entry {
  std::string host;
  ip_address network;
  unsigned prefix = 0;
  std::string error;
};

// Addresses in any form parse_ip_literal reads, optionally "/bits"; host
// names of letters, digits, '-', '_' and '.', not ending in a numeric label
// (such a name is a mistyped address).
allow_entry parse_allow_entry(std::string_view text);

class address_policy {
 public:
  // From [outbound] allow: host names, addresses and CIDR networks (the
  // configuration loader has checked their form; an entry that does not
  // parse allows nothing).
  explicit address_policy(std::vector<std::string> allow);

  // Why a request to `host` (as written in the URL) may not go to
  // `address` (a literal or resolved address, as text), for people; nullopt
  // when it may. An allowed host name allows whatever it resolves to; an
  // allowed address or network allows the addresses inside it.
  std::optional<std::string> refuse(std::string_view host, std::string_view address) const;

 private:
  bool allowed_name(std::string_view host) const;
  bool allowed_address(const ip_address& address) const;

  std::vector<std::string> names_;
  std::vector<allow_entry> networks_;
};

}  // namespace bluegreen::net
