// An http:// or https:// URL taken apart for a client: scheme, host (an IPv6
// literal without its brackets), port and the request target. Pure text
// handling, no sockets: parse_url refuses what a request line could not
// carry (spaces, control characters) and user information in the authority.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bluegreen::net {

struct url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // a name, an IPv4 literal, or an IPv6 literal without brackets
  std::uint16_t port = 0;
  std::string target;  // path and query, starting with '/'; the fragment is dropped

  bool tls() const { return scheme == "https"; }
  bool ipv6_literal() const { return host.find(':') != std::string::npos; }
  // host[:port] as the Host header wants it: brackets around IPv6, the port
  // only when it is not the scheme's default.
  std::string authority() const;
  // host:port, for messages.
  std::string endpoint() const;
  std::string text() const;
  // scheme://host[:port]: all of the URL an error message may show, since a
  // path, query or user information can be a credential (webhook URLs).
  std::string origin() const;
  // Same scheme, host and port: credentials may follow a redirect only then.
  bool same_origin(const url& other) const;
};

std::optional<url> parse_url(std::string_view text);

// Why parse_url refuses `text`, for an error message: what is wrong, quoting
// at most the scheme, host and port.
std::string url_problem(std::string_view text);

// `reference` (a Location header: an absolute URL, "//host/path", "/path",
// "?query" or a relative path) resolved against `base`.
std::optional<url> resolve_reference(const url& base, std::string_view reference);

}  // namespace bluegreen::net
