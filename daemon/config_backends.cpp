#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "daemon/config_sections.hpp"
#include "daemon/net/url.hpp"

namespace bluegreen::daemon {

using namespace std::chrono_literals;

namespace {

// http://localhost, http://127.x.y.z or http://[::1]: a test server on this
// machine, where a token in clear crosses no network.
bool loopback_url(std::string_view text) {
  auto url = net::parse_url(text);
  if (!url) return false;
  if (url->host == "::1" || url->host == "localhost") return true;
  unsigned char buf[4];
  return inet_pton(AF_INET, url->host.c_str(), buf) == 1 && buf[0] == 127;
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
    if (auto socket = r.text("socket", true, "the admin socket path, or host:port"))
      b.socket = *socket;
    if (auto be = r.text("backend_name", true, "the HAProxy backend name")) b.backend = *be;
    for (auto [key, list] : {std::pair{"blue_servers", &b.blue_servers},
                             std::pair{"green_servers", &b.green_servers}}) {
      if (auto servers = r.strings(key, true, "a non-empty array of HAProxy server names")) {
        if (servers->empty())
          r.error_at(key, "must not be empty: expected the HAProxy server names of this colour");
        *list = *servers;
      }
    }
    if (auto state = r.text("state_file", false, "an absolute path")) {
      if (!state->starts_with('/'))
        r.error_at("state_file", "\"" + *state + "\" is not an absolute path");
      b.state_file = *state;
    }
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
    if (auto url = r.text("api_url", false, "an https:// URL")) {
      if (!http_url_port(*url))
        r.error_at("api_url", "\"" + *url + "\" is not an http:// or https:// URL");
      else if (!url->starts_with("https://") && !loopback_url(*url))
        r.error_at("api_url", "\"" + *url +
                                  "\" is not https://: the API token would cross the network in "
                                  "clear; plain http:// is accepted only for a loopback test server");
      b.api_url = *url;
      while (b.api_url.ends_with('/')) b.api_url.pop_back();
    }
    if (auto ca = r.text("ca_file", false, "an absolute path to a PEM CA file")) {
      if (!ca->starts_with('/')) r.error_at("ca_file", "\"" + *ca + "\" is not an absolute path");
      b.ca_file = *ca;
    }
    r.duration("switch_timeout", b.switch_timeout, false, 1h);
    r.duration("poll_interval", b.poll_interval, false, 1min);
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
