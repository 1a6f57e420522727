#include "daemon/net/address_policy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "daemon/ascii_case.hpp"
#include "daemon/net/host_port.hpp"

namespace bluegreen::net {

namespace {

int digit_value(char c, unsigned base) {
  int v = -1;
  if (c >= '0' && c <= '9') v = c - '0';
  if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
  if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
  return v >= 0 && static_cast<unsigned>(v) < base ? v : -1;
}

ip_address ipv4(std::uint32_t value) {
  ip_address out;
  for (int i = 0; i < 4; ++i) out.bytes[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
  return out;
}

std::uint32_t ipv4_value(const ip_address& a, size_t at = 0) {
  return static_cast<std::uint32_t>(a.bytes[at]) << 24 | a.bytes[at + 1] << 16 |
         a.bytes[at + 2] << 8 | a.bytes[at + 3];
}

bool in_v4(std::uint32_t value, std::uint32_t network, unsigned prefix) {
  std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (value & mask) == network;
}

// The first `bits` bits of a and b are equal.
bool same_prefix(const ip_address& a, const ip_address& b, unsigned bits) {
  size_t whole = bits / 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), whole) != 0) return false;
  if (bits % 8 == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - bits % 8));
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

bool starts_with_bytes(const ip_address& a, std::initializer_list<std::uint8_t> prefix) {
  return std::equal(prefix.begin(), prefix.end(), a.bytes.begin());
}

bool is_mapped(const ip_address& a) {
  return a.v6 && starts_with_bytes(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff});
}

// The IPv4 address carried in bytes [at, at + 4) of an IPv6 address.
ip_address embedded_v4(const ip_address& a, size_t at) { return ipv4(ipv4_value(a, at)); }

std::optional<std::string> special_v4(std::uint32_t v) {
  if (v == 0) return "the unspecified address, which reaches this host";
  if (in_v4(v, 0x00000000, 8)) return "an address of \"this network\" (0.0.0.0/8)";
  if (in_v4(v, 0x0a000000, 8) || in_v4(v, 0xac100000, 12) || in_v4(v, 0xc0a80000, 16))
    return "a private address";
  if (in_v4(v, 0x64400000, 10)) return "a shared (carrier-grade NAT) address";
  if (in_v4(v, 0x7f000000, 8)) return "a loopback address";
  if (v == 0xa9fea9fe) return "the cloud metadata service's link-local address";
  if (in_v4(v, 0xa9fe0000, 16)) return "a link-local address";
  if (in_v4(v, 0xc0000000, 24)) return "an IETF protocol address (192.0.0.0/24)";
  if (in_v4(v, 0xc6120000, 15)) return "a benchmarking address (198.18.0.0/15)";
  if (in_v4(v, 0xe0000000, 4)) return "a multicast address";
  if (v == 0xffffffff) return "the broadcast address";
  if (in_v4(v, 0xf0000000, 4)) return "a reserved address";
  return std::nullopt;
}

// "an IPv4-mapped address of 127.0.0.1, a loopback address"
std::optional<std::string> special_embedded(std::string_view form, const ip_address& v4) {
  auto why = special_v4(ipv4_value(v4));
  if (!why) return std::nullopt;
  return std::string(form) + " of " + v4.text() + ", " + *why;
}

std::optional<std::string> special_v6(const ip_address& a) {
  static const ip_address zero{true, {}};
  if (same_prefix(a, zero, 96)) {
    if (a == zero) return "the unspecified address (::), which reaches this host";
    if (ipv4_value(a, 12) == 1) return "the IPv6 loopback address";
    return "a deprecated IPv4-compatible address";
  }
  if (is_mapped(a)) return special_embedded("an IPv4-mapped address", embedded_v4(a, 12));
  if (starts_with_bytes(a, {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}))
    return special_embedded("a NAT64 address", embedded_v4(a, 12));
  if (starts_with_bytes(a, {0, 0x64, 0xff, 0x9b, 0, 1})) return "a local-use NAT64 address";
  if (starts_with_bytes(a, {0x20, 0x02}))
    return special_embedded("a 6to4 address", embedded_v4(a, 2));
  if ((a.bytes[0] & 0xfe) == 0xfc) return "a unique local (private) address";
  if (a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80) return "a link-local address";
  if (a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0xc0) return "a site-local address";
  if (a.bytes[0] == 0xff) return "a multicast address";
  // Only 2000::/3 is global unicast; the rest is reserved.
  if ((a.bytes[0] & 0xe0) != 0x20) return "a reserved address";
  return std::nullopt;
}

// A host name as compared with [outbound] allow: lower case, without the
// trailing dot of a fully qualified name.
std::string comparable_name(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);
  return daemon::ascii_lower(host);
}

// The last label is a number (decimal, or 0x hexadecimal): the resolver
// would read such a name as an address, or not at all.
bool ends_in_number(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  auto label = name.substr(name.rfind('.') + 1);
  if (label.empty()) return false;
  if (std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return true;
  return label.size() >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X') &&
         std::all_of(label.begin() + 2, label.end(),
                     [](char c) { return digit_value(c, 16) >= 0; });
}

}  // namespace

std::string ip_address::text() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<ip_address> parse_ipv4_any(std::string_view text) {
  std::array<std::uint64_t, 4> parts{};
  size_t count = 0;
  size_t i = 0;
  for (;;) {
    if (count == parts.size() || i == text.size() || text[i] < '0' || text[i] > '9')
      return std::nullopt;
    unsigned base = 10;
    if (text[i] == '0') {
      base = 8;  // the 0 itself is read as an octal digit
      if (i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
        base = 16;
        i += 2;
        if (i == text.size() || digit_value(text[i], 16) < 0) return std::nullopt;
      }
    }
    std::uint64_t value = 0;
    for (int d; i < text.size() && (d = digit_value(text[i], base)) >= 0; ++i) {
      value = value * base + static_cast<unsigned>(d);
      if (value > 0xffffffff) return std::nullopt;
    }
    parts[count++] = value;
    if (i == text.size()) break;
    if (text[i] != '.') return std::nullopt;
    ++i;
  }
  // Every part but the last is one byte; the last fills the remaining bytes.
  std::uint64_t value = 0;
  for (size_t p = 0; p + 1 < count; ++p) {
    if (parts[p] > 0xff) return std::nullopt;
    value |= parts[p] << (24 - 8 * p);
  }
  std::uint64_t last = parts[count - 1];
  if (last > (0xffffffffULL >> (8 * (count - 1)))) return std::nullopt;
  return ipv4(static_cast<std::uint32_t>(value | last));
}

std::optional<ip_address> parse_ip_literal(std::string_view text) {
  if (auto v4 = parse_ipv4_any(text)) return v4;
  if (text.find(':') == std::string_view::npos || text.size() >= INET6_ADDRSTRLEN)
    return std::nullopt;
  ip_address out;
  out.v6 = true;
  std::string copy(text);
  if (inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) != 1) return std::nullopt;
  return out;
}

std::optional<std::string> special_use(const ip_address& address) {
  return address.v6 ? special_v6(address) : special_v4(ipv4_value(address));
}

allow_entry parse_allow_entry(std::string_view text) {
  allow_entry out;
  auto quoted = "\"" + std::string(text) + "\"";
  auto slash = text.find('/');
  if (slash != std::string_view::npos) {
    auto address = parse_ip_literal(text.substr(0, slash));
    auto bits = text.substr(slash + 1);
    bool numeric =
        !bits.empty() && bits.size() <= 3 &&
        std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!address || !numeric) {
      out.error = quoted +
                  " is not a network: write an address, '/' and the prefix length in bits, "
                  "such as \"10.0.0.0/8\" or \"fd00::/8\"";
      return out;
    }
    unsigned prefix = static_cast<unsigned>(std::stoi(std::string(bits)));
    unsigned max = address->v6 ? 128 : 32;
    if (prefix > max) {
      out.error = quoted + " is not a network: an " + (address->v6 ? "IPv6" : "IPv4") +
                  " prefix is at most " + std::to_string(max) + " bits";
      return out;
    }
    ip_address first = *address;
    for (unsigned bit = prefix; bit < max; ++bit)
      first.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
    if (!(first == *address)) {
      out.error = quoted + " has bits set after its prefix: write the network's first address, \"" +
                  first.text() + "/" + std::to_string(prefix) + "\"";
      return out;
    }
    out.network = first;
    out.prefix = prefix;
    return out;
  }
  if (auto address = parse_ip_literal(text)) {
    out.network = *address;
    out.prefix = address->v6 ? 128 : 32;
    return out;
  }
  if (!is_host_name(text) || text.starts_with('.') || text.find("..") != std::string_view::npos) {
    out.error = quoted + " is not a host name, an address or a network such as \"10.0.0.0/8\"";
    return out;
  }
  if (ends_in_number(text)) {
    out.error = quoted +
                " is not an address, and a host name cannot end in a number: write an "
                "address such as \"127.0.0.1\" or a network such as \"10.0.0.0/8\"";
    return out;
  }
  out.host = comparable_name(text);
  return out;
}

address_policy::address_policy(std::vector<std::string> allow) {
  for (const auto& text : allow) {
    auto entry = parse_allow_entry(text);
    if (!entry.error.empty()) continue;
    if (!entry.host.empty())
      names_.push_back(std::move(entry.host));
    else
      networks_.push_back(std::move(entry));
  }
}

bool address_policy::allowed_name(std::string_view host) const {
  auto name = comparable_name(host);
  return !name.empty() && std::find(names_.begin(), names_.end(), name) != names_.end();
}

bool address_policy::allowed_address(const ip_address& address) const {
  // An IPv4-mapped address is the IPv4 address to the kernel, so an
  // allowance of either form covers both.
  std::optional<ip_address> mapped;
  if (is_mapped(address)) mapped = embedded_v4(address, 12);
  return std::any_of(networks_.begin(), networks_.end(), [&](const allow_entry& n) {
    auto inside = [&](const ip_address& a) {
      return a.v6 == n.network.v6 && same_prefix(a, n.network, n.prefix);
    };
    return inside(address) || (mapped && inside(*mapped));
  });
}

std::optional<std::string> address_policy::refuse(std::string_view host,
                                                  std::string_view address) const {
  auto parsed = parse_ip_literal(address);
  if (!parsed)
    return "\"" + std::string(address) + "\" (for " + std::string(host) +
           ") is not an IP address, so bluegreend cannot check where it leads";
  if (allowed_name(host)) return std::nullopt;
  auto why = special_use(*parsed);
  if (!why || allowed_address(*parsed)) return std::nullopt;
  auto canonical = parsed->text();
  // An allowance of the IPv4 address covers its mapped form too, and is
  // what people write.
  auto suggested = is_mapped(*parsed) ? embedded_v4(*parsed, 12).text() : canonical;
  auto reach = " to [outbound] allow to let bluegreend reach it";
  if (parse_ip_literal(host)) {
    if (host == canonical) return canonical + " is " + *why + "; add \"" + suggested + "\"" + reach;
    return std::string(host) + " is " + canonical + ", " + *why + "; add \"" + suggested + "\"" +
           reach;
  }
  return std::string(host) + " resolves to " + canonical + ", " + *why + "; add \"" +
         comparable_name(host) + "\" (or \"" + suggested + "\")" + reach;
}

}  // namespace bluegreen::net
