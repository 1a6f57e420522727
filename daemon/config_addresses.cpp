#include <algorithm>

#include "daemon/config_sections.hpp"
#include "daemon/net/host_port.hpp"
#include "daemon/net/url.hpp"
#include "daemon/one_line_text.hpp"

namespace bluegreen::daemon {

std::optional<ssh_target> parse_ssh_target(std::string_view text) {
  ssh_target target;
  target.text = std::string(text);
  std::string_view rest = text;
  auto at = rest.find('@');
  if (at != std::string_view::npos) {
    target.user = std::string(rest.substr(0, at));
    rest = rest.substr(at + 1);
    if (target.user.empty() || target.user.size() > 32 ||
        !std::all_of(target.user.begin(), target.user.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                     }) ||
        target.user[0] == '-')
      return std::nullopt;
  }
  if (rest.starts_with('-')) return std::nullopt;
  auto address = net::parse_host_port(rest);
  if (!address) return std::nullopt;
  target.host = std::move(address->host);
  if (address->port) target.port = *address->port;
  return target;
}

std::optional<std::uint16_t> http_url_port(std::string_view url) {
  if (!is_one_line_text(url)) return std::nullopt;
  auto parsed = net::parse_url(url);
  if (!parsed) return std::nullopt;
  return parsed->port;
}

void read_url(table_reader& r, std::string_view key, std::string& out, bool required) {
  auto value = r.text(key, required, "an http:// or https:// URL");
  if (!value) return;
  if (!http_url_port(*value)) {
    r.error_at(key, "\"" + *value + "\" is not an http:// or https:// URL with a host");
    return;
  }
  out = *value;
}

std::optional<ssh_target> read_target(table_reader& r, std::string_view key, bool required) {
  auto value = r.text(key, required, "an SSH destination such as \"deploy@10.0.0.2\"");
  if (!value) return std::nullopt;
  auto target = parse_ssh_target(*value);
  if (!target)
    r.error_at(key, "\"" + *value +
                        "\" is not an SSH destination: expected [user@]host[:port], e.g. "
                        "\"deploy@10.0.0.2\"");
  return target;
}

}  // namespace bluegreen::daemon
