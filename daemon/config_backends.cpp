#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <tuple>

#include "daemon/config_sections.hpp"
#include "daemon/net/host_port.hpp"
#include "daemon/net/url.hpp"

namespace bluegreen::daemon {

using namespace std::chrono_literals;

namespace {

constexpr std::string_view kHaproxyNames = "use letters, digits, '-', '_', '.' and ':'";

// A letter, a digit, '-', '_' or '.': what names in load balancer
// configurations (upstreams, load balancers, HAProxy's proxies) are made of.
bool plain_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// HAProxy's own rule for proxy and server names (and no character that
// would split a runtime API command).
bool haproxy_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(),
                                      [](char c) { return plain_name_char(c) || c == ':'; });
}

// http://localhost, http://127.x.y.z or http://[::1]: a test server on this
// machine, where a token in clear crosses no network.
bool loopback_url(std::string_view text) {
  auto url = net::parse_url(text);
  if (!url) return false;
  if (url->host == "::1" || url->host == "localhost") return true;
  unsigned char buf[4];
  return inet_pton(AF_INET, url->host.c_str(), buf) == 1 && buf[0] == 127;
}

// The keys of one load balancer: those of its [[app.traffic.load_balancer]]
// entry, falling back to those of [app.traffic], which are defaults for
// every entry. Each key is read from the table that holds it, so an error
// names the line and key path where the value is written.
class backend_keys {
 public:
  // `defaults` is null when `own` is [app.traffic] itself. `required` is
  // false when reading [app.traffic]'s keys as defaults for entries, which
  // may set what it lacks.
  backend_keys(table_reader& own, table_reader* defaults, bool required)
      : own_(own), defaults_(defaults), required_(required) {}

  // The reader of the table holding `key`, the entry's first; the entry's
  // when neither holds it, so that a missing key is reported there.
  table_reader& at(std::string_view key) {
    if (defaults_ && !own_.table().get(key) && defaults_->table().get(key)) return *defaults_;
    return own_;
  }

  std::optional<std::string> text(std::string_view key, bool required, std::string_view expected) {
    return at(key).text(key, required && required_, expected);
  }
  std::optional<std::vector<std::string>> strings(std::string_view key, bool required,
                                                  std::string_view expected) {
    return at(key).strings(key, required && required_, expected);
  }
  std::optional<std::int64_t> integer(std::string_view key, bool required, std::int64_t min,
                                      std::int64_t max) {
    return at(key).integer(key, required && required_, min, max);
  }
  std::optional<secret_ref> secret(std::string_view key, bool required) {
    return at(key).secret(key, required && required_);
  }
  void duration(std::string_view key, milliseconds& out, milliseconds max) {
    at(key).duration(key, out, false, max);
  }
  std::optional<ssh_target> target(std::string_view key, bool required) {
    return read_target(at(key), key, required && required_);
  }
  void error_at(std::string_view key, std::string message) {
    at(key).error_at(key, std::move(message));
  }

 private:
  table_reader& own_;
  table_reader* defaults_;
  bool required_;
};

void read_nginx_keys(backend_keys k, nginx_backend& b) {
  if (auto file = k.text("upstream_file", true, "an absolute path to the upstream include")) {
    if (!file->starts_with('/'))
      k.error_at("upstream_file", "\"" + *file + "\" is not an absolute path");
    b.upstream_file = *file;
  }
  if (auto name = k.text("upstream_name", true, "the nginx upstream name")) {
    if (!std::all_of(name->begin(), name->end(), plain_name_char))
      k.error_at("upstream_name", "\"" + *name +
                                      "\" is not a valid upstream name: use letters, digits, "
                                      "'_', '-' and '.'");
    b.upstream_name = *name;
  }
  if (auto cmd = k.text("test_command", false, "a shell command")) b.test_command = *cmd;
  if (auto cmd = k.text("reload_command", false, "a shell command")) b.reload_command = *cmd;
  b.host = k.target("host", false);
}

void read_haproxy_keys(backend_keys k, haproxy_backend& b) {
  if (auto socket =
          k.text("socket", true, "the admin socket: an absolute path, or host:port for a TCP socket")) {
    if (!socket->starts_with('/') &&
        !net::parse_host_port(*socket, net::host_port_rules{.port_required = true}))
      k.error_at("socket", "\"" + *socket +
                               "\" is neither an absolute path nor host:port (the address of "
                               "HAProxy's `stats socket ... level admin`)");
    else if (socket->find_first_of(" \t\n'\"\\;") != std::string::npos)
      k.error_at("socket", "\"" + *socket + "\" contains a space, quote, ';' or backslash");
    b.socket = *socket;
  }
  if (auto be = k.text("backend_name", true, "the HAProxy backend holding both colours")) {
    if (!haproxy_name(*be))
      k.error_at("backend_name",
                 "\"" + *be + "\" is not an HAProxy name: " + std::string(kHaproxyNames));
    b.backend = *be;
  }
  for (auto [key, list] :
       {std::pair{"blue_servers", &b.blue_servers}, std::pair{"green_servers", &b.green_servers}}) {
    if (auto servers = k.strings(key, true, "a non-empty array of HAProxy server names")) {
      if (servers->empty())
        k.error_at(key, "must not be empty: expected the HAProxy server names of this colour");
      for (const auto& s : *servers)
        if (!haproxy_name(s))
          k.error_at(key,
                     "\"" + s + "\" is not an HAProxy server name: " + std::string(kHaproxyNames));
      *list = *servers;
    }
  }
  if (auto state = k.text("state_file", true,
                          "the absolute path of the backend's server-state file "
                          "(server-state-base + server-state-file-name), so that an HAProxy "
                          "reload keeps a switch")) {
    if (!state->starts_with('/'))
      k.error_at("state_file", "\"" + *state + "\" is not an absolute path");
    b.state_file = *state;
  }
  b.host = k.target("host", false);
}

void read_digitalocean_keys(backend_keys k, digitalocean_backend& b) {
  if (auto ip = k.text("reserved_ip", true, "the reserved IPv4 address, e.g. \"203.0.113.7\"")) {
    unsigned char buf[4];
    if (inet_pton(AF_INET, ip->c_str(), buf) != 1)
      k.error_at("reserved_ip", "\"" + *ip + "\" is not an IPv4 address");
    b.reserved_ip = *ip;
  }
  if (auto token = k.secret("token", true)) b.token = *token;
  if (auto id = k.integer("blue_droplet_id", true, 1, INT64_MAX)) b.blue_droplet_id = *id;
  if (auto id = k.integer("green_droplet_id", true, 1, INT64_MAX)) {
    b.green_droplet_id = *id;
    if (b.green_droplet_id == b.blue_droplet_id)
      k.error_at("green_droplet_id", "equals blue_droplet_id: each colour is its own droplet");
  }
  if (auto url = k.text("api_url", false, "an https:// URL")) {
    if (!http_url_port(*url))
      k.error_at("api_url", "\"" + *url + "\" is not an http:// or https:// URL");
    else if (!url->starts_with("https://") && !loopback_url(*url))
      k.error_at("api_url", "\"" + *url +
                                "\" is not https://: the API token would cross the network in "
                                "clear; plain http:// is accepted only for a loopback test server");
    b.api_url = *url;
    while (b.api_url.ends_with('/')) b.api_url.pop_back();
  }
  if (auto ca = k.text("ca_file", false, "an absolute path to a PEM CA file")) {
    if (!ca->starts_with('/')) k.error_at("ca_file", "\"" + *ca + "\" is not an absolute path");
    b.ca_file = *ca;
  }
  k.duration("switch_timeout", b.switch_timeout, 1h);
  k.duration("poll_interval", b.poll_interval, 1min);
}

void read_command_keys(backend_keys k, command_backend& b) {
  if (auto cmd = k.text("switch_command", true, "a shell command that routes traffic to {colour}"))
    b.switch_command = *cmd;
  if (auto cmd =
          k.text("current_command", true, "a shell command that prints the colour traffic goes to"))
    b.current_command = *cmd;
  b.host = k.target("host", false);
}

// The keys of `backend` into `out`; false when there is no such backend.
bool read_backend_keys(std::string_view backend, backend_keys k, backend_settings& out) {
  if (backend == "nginx") {
    read_nginx_keys(k, out.emplace<nginx_backend>());
  } else if (backend == "haproxy") {
    read_haproxy_keys(k, out.emplace<haproxy_backend>());
  } else if (backend == "digitalocean") {
    read_digitalocean_keys(k, out.emplace<digitalocean_backend>());
  } else if (backend == "command") {
    read_command_keys(k, out.emplace<command_backend>());
  } else {
    return false;
  }
  return true;
}

// A load balancer's name when none is given: its host as written, or
// "local" for one on this machine.
std::string default_name(const backend_settings& b) {
  const std::optional<ssh_target>* host = nullptr;
  if (const auto* n = std::get_if<nginx_backend>(&b)) host = &n->host;
  if (const auto* c = std::get_if<command_backend>(&b)) host = &c->host;
  if (const auto* h = std::get_if<haproxy_backend>(&b)) host = &h->host;
  return host && *host ? (*host)->text : "local";
}

bool is_load_balancer_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), plain_name_char);
}

// Two load balancers that change the same file on the same machine would
// undo each other, and they are changed at once.
bool same_machine(const std::optional<ssh_target>& a, const std::optional<ssh_target>& b) {
  if (!a || !b) return !a && !b;
  return a->host == b->host && a->port == b->port;
}

bool same_target(const backend_settings& a, const backend_settings& b) {
  const auto* x = std::get_if<nginx_backend>(&a);
  const auto* y = std::get_if<nginx_backend>(&b);
  if (x && y) return x->upstream_file == y->upstream_file && same_machine(x->host, y->host);
  const auto* h = std::get_if<haproxy_backend>(&a);
  const auto* k = std::get_if<haproxy_backend>(&b);
  return h && k && h->socket == k->socket && h->backend == k->backend &&
         same_machine(h->host, k->host);
}

// A default key of [app.traffic] that is wrong is read once per entry; it
// is reported once.
void drop_repeated_errors(std::vector<config_error>& errors, std::size_t from) {
  std::set<std::tuple<std::uint32_t, std::uint32_t, std::string, std::string>> seen;
  std::vector<config_error> kept;
  for (std::size_t i = from; i < errors.size(); ++i)
    if (seen.insert({errors[i].line, errors[i].column, errors[i].key, errors[i].message}).second)
      kept.push_back(std::move(errors[i]));
  errors.erase(errors.begin() + static_cast<std::ptrdiff_t>(from), errors.end());
  for (auto& e : kept) errors.push_back(std::move(e));
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
  const toml::node* entries =
      r.node("load_balancer", false, "[[app.traffic.load_balancer]] tables");
  if (entries && (*backend == "digitalocean" || *backend == "command")) {
    r.error_at("load_balancer", "the " + *backend +
                                    " backend takes exactly one load balancer: remove the "
                                    "[[app.traffic.load_balancer]] tables and set its keys in "
                                    "[app.traffic]");
    entries = nullptr;
  } else if (entries && (!entries->is_array_of_tables() || entries->as_array()->empty())) {
    r.error_at("load_balancer",
               "expected one or more [[app.traffic.load_balancer]] tables, each with the keys of "
               "one load balancer");
    entries = nullptr;
  }

  const std::size_t errors_before = sink.errors().size();
  backend_settings defaults;
  if (!read_backend_keys(*backend, backend_keys(r, nullptr, !entries), defaults)) {
    r.error_at("backend",
               "\"" + *backend + "\" is not a traffic backend: expected " + std::string(kBackends));
    for (const auto& [k, v] : t) r.mark_known(k.str());
    r.finish();
    return;
  }
  out.load_balancers.clear();
  if (!entries) {
    out.load_balancers.push_back({default_name(defaults), std::move(defaults)});
    r.finish();
    return;
  }

  const toml::array& list = *entries->as_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const toml::table& entry = *list.get(i)->as_table();
    table_reader e(sink, entry, r.key_path("load_balancer") + "[" + std::to_string(i) + "]");
    if (entry.get("backend")) {
      e.mark_known("backend");
      e.error_at("backend", "every load balancer of an app uses the backend of [app.traffic] (\"" +
                                *backend + "\"): remove this key");
    }
    load_balancer_config lb;
    read_backend_keys(*backend, backend_keys(e, &r, true), lb.backend);
    auto name = e.text("name", false, "a name for this load balancer, e.g. \"lb1\"");
    if (name && !is_load_balancer_name(*name)) {
      e.error_at("name", "\"" + *name +
                             "\" is not a load balancer name: use 1 to 64 letters, digits, '_', "
                             "'-' and '.'");
    }
    lb.name = name ? *name : default_name(lb.backend);
    for (std::size_t j = 0; j < out.load_balancers.size(); ++j) {
      const auto& other = out.load_balancers[j];
      std::string other_key = "load_balancer[" + std::to_string(j) + "]";
      if (other.name == lb.name) {
        std::string why = "the name \"" + lb.name + "\" is taken by " + other_key +
                          ": give each load balancer a name of its own";
        if (name)
          e.error_at("name", why);
        else
          e.error_here(why + " (`name`; by default its host, or \"local\")");
      }
      if (same_target(other.backend, lb.backend)) {
        e.error_here("changes the same load balancer (upstream file, or HAProxy socket and "
                     "backend, on the same machine) as " + other_key +
                     ": each entry must be a load balancer of its own");
      }
    }
    e.finish();
    out.load_balancers.push_back(std::move(lb));
  }
  drop_repeated_errors(sink.errors(), errors_before);
  r.finish();
}

}  // namespace bluegreen::daemon
