#include "daemon/net/url.hpp"

#include <algorithm>
#include <cctype>

#include "daemon/net/host_port.hpp"

namespace bluegreen::net {

namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

std::uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

}  // namespace

std::string url::authority() const {
  std::string out = ipv6_literal() ? "[" + host + "]" : host;
  if (port != default_port(scheme)) out += ":" + std::to_string(port);
  return out;
}

std::string url::endpoint() const {
  return (ipv6_literal() ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string url::text() const { return scheme + "://" + authority() + target; }

bool url::same_origin(const url& other) const {
  return scheme == other.scheme && host == other.host && port == other.port;
}

std::optional<url> parse_url(std::string_view text) {
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; }))
    return std::nullopt;
  url out;
  std::string_view rest;
  if (starts_with_nocase(text, "http://")) {
    out.scheme = "http";
    rest = text.substr(7);
  } else if (starts_with_nocase(text, "https://")) {
    out.scheme = "https";
    rest = text.substr(8);
  } else {
    return std::nullopt;
  }
  out.port = default_port(out.scheme);
  auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;

  auto address = parse_host_port(authority);
  if (!address) return std::nullopt;
  out.host = std::move(address->host);
  if (address->port) out.port = *address->port;

  target = target.substr(0, target.find('#'));
  out.target = std::string(target);
  if (out.target.empty() || out.target[0] == '?') out.target.insert(0, "/");
  return out;
}

std::optional<url> resolve_reference(const url& base, std::string_view reference) {
  if (starts_with_nocase(reference, "http://") || starts_with_nocase(reference, "https://"))
    return parse_url(reference);
  if (reference.starts_with("//")) return parse_url(base.scheme + ":" + std::string(reference));
  if (reference.find(':') < reference.find_first_of("/?#")) return std::nullopt;  // another scheme
  std::string path = base.target.substr(0, base.target.find('?'));
  std::string target;
  if (reference.starts_with('/')) {
    target = std::string(reference);
  } else if (reference.starts_with('?')) {
    target = path + std::string(reference);
  } else if (reference.empty() || reference.starts_with('#')) {
    target = base.target;
  } else {
    target = path.substr(0, path.rfind('/') + 1) + std::string(reference);
  }
  return parse_url(base.scheme + "://" + base.authority() + target);
}

}  // namespace bluegreen::net
