#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "daemon/config_sections.hpp"
#include "daemon/net/host_port.hpp"

namespace bluegreen::daemon {

using namespace std::chrono_literals;

namespace {

constexpr std::string_view kHaproxyNames = "use letters, digits, '-', '_', '.' and ':'";

// HAProxy's own rule for proxy and server names (and no character that
// would split a runtime API command).
bool haproxy_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == ':';
  });
}

}  // namespace

void read_traffic(error_sink& sink, const toml::table& t, const std::string& path,
                  traffic_config& out) {
  table_reader r(sink, t, path);
  constexpr std::string_view kBackends =
      "one of \"nginx\", \"haproxy\", \"digitalocean\", \"command\"";
  auto backend = r.string("backend", true, kBackends);
  if (!backend) {
    // Without a backend the other keys cannot be judged.
    for (const auto& [k, v] : t) r.mark_known(k.str());
    return;
  }
  if (*backend == "nginx") {
    nginx_backend b;
    if (auto file = r.text("upstream_file", true, "an absolute path to the upstream include")) {
      if (!file->starts_with('/'))
        r.error_at("upstream_file", "\"" + *file + "\" is not an absolute path");
      b.upstream_file = *file;
    }
    if (auto name = r.text("upstream_name", true, "the nginx upstream name")) {
      if (!std::all_of(name->begin(), name->end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
          }))
        r.error_at("upstream_name", "\"" + *name +
                                        "\" is not a valid upstream name: use letters, digits, "
                                        "'_', '-' and '.'");
      b.upstream_name = *name;
    }
    if (auto cmd = r.text("test_command", false, "a shell command")) b.test_command = *cmd;
    if (auto cmd = r.text("reload_command", false, "a shell command")) b.reload_command = *cmd;
    b.host = read_target(r, "host", false);
    out.backend = std::move(b);
  } else if (*backend == "haproxy") {
    haproxy_backend b;
    if (auto socket = r.text("socket", true,
                             "the admin socket: an absolute path, or host:port for a TCP socket")) {
      if (!socket->starts_with('/') &&
          !net::parse_host_port(*socket, net::host_port_rules{.port_required = true}))
        r.error_at("socket", "\"" + *socket +
                                 "\" is neither an absolute path nor host:port (the address of "
                                 "HAProxy's `stats socket ... level admin`)");
      else if (socket->find_first_of(" \t\n'\"\\;") != std::string::npos)
        r.error_at("socket", "\"" + *socket + "\" contains a space, quote, ';' or backslash");
      b.socket = *socket;
    }
    if (auto be = r.text("backend_name", true, "the HAProxy backend holding both colours")) {
      if (!haproxy_name(*be))
        r.error_at("backend_name",
                   "\"" + *be + "\" is not an HAProxy name: " + std::string(kHaproxyNames));
      b.backend = *be;
    }
    for (auto [key, list] : {std::pair{"blue_servers", &b.blue_servers},
                             std::pair{"green_servers", &b.green_servers}}) {
      if (auto servers = r.strings(key, true, "a non-empty array of HAProxy server names")) {
        if (servers->empty())
          r.error_at(key, "must not be empty: expected the HAProxy server names of this colour");
        for (const auto& s : *servers)
          if (!haproxy_name(s))
            r.error_at(
                key, "\"" + s + "\" is not an HAProxy server name: " + std::string(kHaproxyNames));
        *list = *servers;
      }
    }
    if (auto state = r.text("state_file", true,
                            "the absolute path of the backend's server-state file "
                            "(server-state-base + server-state-file-name), so that an HAProxy "
                            "reload keeps a switch")) {
      if (!state->starts_with('/'))
        r.error_at("state_file", "\"" + *state + "\" is not an absolute path");
      b.state_file = *state;
    }
    b.host = read_target(r, "host", false);
    out.backend = std::move(b);
  } else if (*backend == "digitalocean") {
    digitalocean_backend b;
    if (auto ip = r.text("reserved_ip", true, "the reserved IPv4 address, e.g. \"203.0.113.7\"")) {
      unsigned char buf[4];
      if (inet_pton(AF_INET, ip->c_str(), buf) != 1)
        r.error_at("reserved_ip", "\"" + *ip + "\" is not an IPv4 address");
      b.reserved_ip = *ip;
    }
    if (auto token = r.secret("token", true)) b.token = *token;
    if (auto id = r.integer("blue_droplet_id", true, 1, INT64_MAX)) b.blue_droplet_id = *id;
    if (auto id = r.integer("green_droplet_id", true, 1, INT64_MAX)) {
      b.green_droplet_id = *id;
      if (b.green_droplet_id == b.blue_droplet_id)
        r.error_at("green_droplet_id", "equals blue_droplet_id: each colour is its own droplet");
    }
    if (auto url = r.text("api_url", false, "an http:// or https:// URL")) {
      if (!http_url_port(*url))
        r.error_at("api_url", "\"" + *url + "\" is not an http:// or https:// URL");
      b.api_url = *url;
    }
    out.backend = std::move(b);
  } else if (*backend == "command") {
    command_backend b;
    if (auto cmd =
            r.text("switch_command", true, "a shell command that routes traffic to {colour}"))
      b.switch_command = *cmd;
    if (auto cmd = r.text("current_command", true,
                          "a shell command that prints the colour traffic goes to"))
      b.current_command = *cmd;
    b.host = read_target(r, "host", false);
    out.backend = std::move(b);
  } else {
    r.error_at("backend",
               "\"" + *backend + "\" is not a traffic backend: expected " + std::string(kBackends));
    for (const auto& [k, v] : t) r.mark_known(k.str());
  }
  r.finish();
}

}  // namespace bluegreen::daemon
