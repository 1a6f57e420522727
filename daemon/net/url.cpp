#include "daemon/net/url.hpp"

#include <algorithm>
#include <utility>

#include "daemon/ascii_case.hpp"
#include "daemon/net/host_port.hpp"

namespace bluegreen::net {

namespace {

std::uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

bool has_space_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; });
}

// The scheme in lower case and what follows "://"; nothing for other schemes.
std::optional<std::pair<std::string, std::string_view>> split_scheme(std::string_view text) {
  for (std::string_view scheme : {"http", "https"}) {
    std::string prefix = std::string(scheme) + "://";
    if (daemon::starts_with_ignoring_ascii_case(text, prefix))
      return std::pair{std::string(scheme), text.substr(prefix.size())};
  }
  return std::nullopt;
}

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

std::string url::origin() const { return scheme + "://" + authority(); }

bool url::same_origin(const url& other) const {
  return scheme == other.scheme && host == other.host && port == other.port;
}

std::optional<url> parse_url(std::string_view text) {
  if (has_space_or_control(text)) return std::nullopt;
  auto split = split_scheme(text);
  if (!split) return std::nullopt;
  url out;
  out.scheme = split->first;
  std::string_view rest = split->second;
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

std::string url_problem(std::string_view text) {
  auto split = split_scheme(text);
  if (!split) return "the URL does not start with http:// or https://";
  if (has_space_or_control(text)) return "the URL contains a space or a control character";
  std::string_view rest = split->second;
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos)
    return "the URL has user information (\"user@\" before the host), which is not "
           "supported; remove it";
  if (authority.starts_with('[') && authority.find('%') != std::string_view::npos)
    return "the URL's IPv6 address has a zone id (\"%\"), which is not supported; use an "
           "address without one";
  // Not quoted: what does not parse as host and port may be a password
  // written without its "@".
  return "the URL's host or port is not valid (a host name or address, and a port 1-65535)";
}

std::optional<url> resolve_reference(const url& base, std::string_view reference) {
  if (split_scheme(reference)) return parse_url(reference);
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
