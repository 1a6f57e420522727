// Fuzzes the outbound address policy's reading of host text and [outbound]
// allow entries (daemon/net/address_policy). Input: a line of allow entries
// separated by ',', then the host text of a URL. IPv4 text is read exactly
// as the C library's inet_aton reads it (so getaddrinfo cannot see another
// address in it); every literal survives a round trip through its canonical
// text; an accepted allow entry allows what it names; a refusal says what to
// add to [outbound] allow.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon/net/address_policy.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace bluegreen::net;

std::vector<std::string> split(const std::string& text, char at) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t end; (end = text.find(at, start)) != std::string::npos; start = end + 1)
    out.push_back(text.substr(start, end - start));
  out.push_back(text.substr(start));
  return out;
}

void check_literal(const std::string& host) {
  // inet_aton also accepts anything after a blank, which getaddrinfo's exact
  // variant does not: compare only text without blanks or NUL.
  bool plain = std::none_of(host.begin(), host.end(), [](char c) {
    return c == '\0' || std::isspace(static_cast<unsigned char>(c));
  });
  auto v4 = parse_ipv4_any(host);
  if (plain) {
    in_addr expected{};
    bool c_library = inet_aton(host.c_str(), &expected) != 0;
    FUZZ_CHECK(c_library == v4.has_value());
    if (v4) FUZZ_CHECK(v4->text() == inet_ntoa(expected));
  }
  auto literal = parse_ip_literal(host);
  if (!literal) return;
  auto again = parse_ip_literal(literal->text());
  FUZZ_CHECK(again && *again == *literal);
  address_policy none({});
  auto why = none.refuse(host, literal->text());
  FUZZ_CHECK(why.has_value() == special_use(*literal).has_value());
  if (why) FUZZ_CHECK(why->find("[outbound] allow") != std::string::npos);
  // Allowing the address itself lets it through, in any spelling.
  address_policy exact({literal->text()});
  FUZZ_CHECK(!exact.refuse(host, literal->text()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto newline = input.find('\n');
  std::string entries = newline == std::string::npos ? "" : input.substr(0, newline);
  std::string host = newline == std::string::npos ? input : input.substr(newline + 1);

  check_literal(host);

  std::vector<std::string> allow = split(entries, ',');
  for (const auto& text : allow) {
    auto entry = parse_allow_entry(text);
    if (!entry.error.empty()) {
      FUZZ_CHECK(entry.error.find(text) != std::string::npos);
      continue;
    }
    address_policy one({text});
    if (!entry.host.empty()) {
      FUZZ_CHECK(!one.refuse(text, "127.0.0.1"));
      FUZZ_CHECK(!one.refuse(entry.host, "::1"));
    } else {
      FUZZ_CHECK(entry.prefix <= (entry.network.v6 ? 128u : 32u));
      FUZZ_CHECK(!one.refuse("example.com", entry.network.text()));
    }
  }
  address_policy policy(allow);
  if (auto literal = parse_ip_literal(host)) (void)policy.refuse(host, literal->text());
  (void)policy.refuse(host, host);
  return 0;
}
