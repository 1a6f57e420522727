#include "daemon/config.hpp"

#include <toml++/toml.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "daemon/duration.hpp"
#include "daemon/file_io.hpp"
#include "daemon/one_line_text.hpp"

namespace bluegreen::daemon {

namespace {

using namespace std::chrono_literals;

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

// Collects errors for one file.
class error_sink {
 public:
  explicit error_sink(std::string file) : file_(std::move(file)) {}

  void add(const toml::source_region& where, std::string key, std::string message) {
    errors_.push_back(config_error{file_, where.begin.line, where.begin.column, std::move(key),
                                   std::move(message)});
  }
  std::vector<config_error>& errors() { return errors_; }

 private:
  std::string file_;
  std::vector<config_error> errors_;
};

// Reads the keys of one TOML table, remembering which keys were asked for so
// that the rest can be reported as unknown.
class table_reader {
 public:
  table_reader(error_sink& sink, const toml::table& table, std::string path)
      : sink_(sink), table_(table), path_(std::move(path)) {}

  std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  const std::string& path() const { return path_; }
  const toml::table& table() const { return table_; }

  void error_at(std::string_view key, std::string message) {
    const toml::node* node = table_.get(key);
    sink_.add(node ? node->source() : table_.source(), key_path(key), std::move(message));
  }
  void error_here(std::string message) { sink_.add(table_.source(), path_, std::move(message)); }

  // The node for `key`, or null (reporting it when required).
  const toml::node* node(std::string_view key, bool required, std::string_view expected) {
    known_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (!n && required) {
      sink_.add(table_.source(), key_path(key),
                "required key is missing: expected " + std::string(expected));
    }
    return n;
  }

  std::optional<std::string> string(std::string_view key, bool required,
                                    std::string_view expected = "a string") {
    const toml::node* n = node(key, required, expected);
    if (!n) return std::nullopt;
    if (!n->is_string()) {
      wrong_type(key, *n, expected);
      return std::nullopt;
    }
    return n->as_string()->get();
  }

  // A string that must not be empty.
  std::optional<std::string> text(std::string_view key, bool required,
                                  std::string_view expected) {
    auto value = string(key, required, expected);
    if (value && value->empty()) {
      error_at(key, "must not be empty: expected " + std::string(expected));
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = node(key, false, "true or false");
    if (!n) return std::nullopt;
    if (!n->is_boolean()) {
      wrong_type(key, *n, "true or false");
      return std::nullopt;
    }
    return n->as_boolean()->get();
  }

  std::optional<std::int64_t> integer(std::string_view key, bool required, std::int64_t min,
                                      std::int64_t max) {
    std::string expected =
        "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    const toml::node* n = node(key, required, expected);
    if (!n) return std::nullopt;
    if (!n->is_integer()) {
      wrong_type(key, *n, expected);
      return std::nullopt;
    }
    std::int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      error_at(key, "out of range (" + std::to_string(v) + "): expected " + expected);
      return std::nullopt;
    }
    return v;
  }

  // Every duration has a ceiling, so that adding it to a clock can never
  // overflow and a typo such as "107000d" is caught here.
  void duration(std::string_view key, milliseconds& out, bool allow_zero, milliseconds max) {
    constexpr std::string_view kExpected =
        "a duration with units, such as \"500ms\", \"90s\", \"10m\" or \"1h30m\"";
    auto value = string(key, false, kExpected);
    if (!value) return;
    auto parsed = parse_duration(*value);
    if (!parsed) {
      error_at(key, "\"" + *value + "\" is not a duration: expected " + std::string(kExpected));
      return;
    }
    if (!allow_zero && parsed->count() == 0) {
      error_at(key, "must be longer than zero");
      return;
    }
    if (*parsed > max) {
      error_at(key, "\"" + *value + "\" is too long: at most \"" + format_duration(max) + "\"");
      return;
    }
    out = *parsed;
  }

  std::optional<std::vector<std::string>> strings(std::string_view key, bool required,
                                                  std::string_view expected) {
    const toml::node* n = node(key, required, expected);
    if (!n) return std::nullopt;
    const toml::array* arr = n->as_array();
    if (!arr) {
      wrong_type(key, *n, expected);
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& el = *arr->get(i);
      std::string el_key = key_path(key) + "[" + std::to_string(i) + "]";
      if (!el.is_string()) {
        sink_.add(el.source(), el_key,
                  "expected a string, got " + std::string(type_name(el.type())));
        ok = false;
      } else if (el.as_string()->get().empty()) {
        sink_.add(el.source(), el_key, "must not be empty");
        ok = false;
      } else {
        out.push_back(el.as_string()->get());
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  const toml::table* subtable(std::string_view key, bool required, std::string_view expected) {
    const toml::node* n = node(key, required, expected);
    if (!n) return nullptr;
    if (!n->is_table()) {
      wrong_type(key, *n, expected);
      return nullptr;
    }
    return n->as_table();
  }

  // A reference to a secret: { file = "/path" } or { credential = "name" }.
  std::optional<secret_ref> secret(std::string_view key, bool required) {
    constexpr std::string_view kExpected =
        "a reference to a secret: { file = \"/etc/bluegreen/NAME\" } or "
        "{ credential = \"NAME\" } (a systemd credential)";
    const toml::node* n = node(key, required, kExpected);
    if (!n) return std::nullopt;
    if (n->is_string()) {
      error_at(key, "secrets are never written inline in the config: expected " +
                        std::string(kExpected));
      return std::nullopt;
    }
    if (!n->is_table()) {
      wrong_type(key, *n, kExpected);
      return std::nullopt;
    }
    table_reader ref(sink_, *n->as_table(), key_path(key));
    auto file = ref.text("file", false, "an absolute path");
    auto credential = ref.text("credential", false, "a credential name");
    ref.finish();
    if (file.has_value() == credential.has_value()) {
      error_at(key, "expected exactly one of `file` or `credential`: " + std::string(kExpected));
      return std::nullopt;
    }
    if (file) {
      if (!file->starts_with('/')) {
        ref.error_at("file", "\"" + *file + "\" is not an absolute path");
        return std::nullopt;
      }
      return secret_ref{secret_ref::source::file, *file};
    }
    if (credential->find('/') != std::string::npos) {
      ref.error_at("credential", "a credential name cannot contain '/'");
      return std::nullopt;
    }
    return secret_ref{secret_ref::source::credential, *credential};
  }

  void mark_known(std::string_view key) { known_.insert(std::string(key)); }

  // Reports every key that was not read.
  void finish() {
    for (const auto& [k, v] : table_) {
      if (known_.count(std::string(k.str()))) continue;
      std::string allowed;
      for (const auto& name : known_) allowed += (allowed.empty() ? "" : ", ") + name;
      sink_.add(k.source().begin.line ? k.source() : v.source(), key_path(k.str()),
                "unknown key" + (allowed.empty() ? std::string(" (this table takes no keys)")
                                                 : "; expected one of: " + allowed));
    }
  }

 private:
  void wrong_type(std::string_view key, const toml::node& n, std::string_view expected) {
    sink_.add(n.source(), key_path(key),
              "expected " + std::string(expected) + ", got " + std::string(type_name(n.type())));
  }

  error_sink& sink_;
  const toml::table& table_;
  std::string path_;
  std::set<std::string> known_;
};

bool is_name(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

bool is_env_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool parse_port(std::string_view text, std::uint16_t& port, bool allow_zero) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535 || (!allow_zero && value == 0)) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == ':' || c == '_';
  });
}

// host:port or [v6]:port. Returns false when malformed.
bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port,
                     bool port_required, bool allow_zero_port) {
  std::string_view port_text;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return false;
      port_text = rest.substr(1);
      if (port_text.empty()) return false;
    }
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      if (text.find(':') != colon) return false;  // bare IPv6 needs brackets
      host = std::string(text.substr(0, colon));
      port_text = text.substr(colon + 1);
      if (port_text.empty()) return false;
    } else {
      host = std::string(text);
    }
  }
  if (!is_host_name(host)) return false;
  if (port_text.empty()) return !port_required;
  return parse_port(port_text, port, allow_zero_port);
}

std::optional<ssh_target> parse_ssh_target(std::string_view text) {
  ssh_target target;
  target.text = std::string(text);
  std::string_view rest = text;
  auto at = rest.find('@');
  if (at != std::string_view::npos) {
    target.user = std::string(rest.substr(0, at));
    rest = rest.substr(at + 1);
    if (target.user.empty() || target.user.size() > 32 ||
        !std::all_of(target.user.begin(), target.user.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        }) ||
        target.user[0] == '-')
      return std::nullopt;
  }
  if (rest.starts_with('-')) return std::nullopt;
  if (!split_host_port(rest, target.host, target.port, false, false)) return std::nullopt;
  return target;
}

struct url_parts {
  std::string scheme;
  std::string host;
  std::uint16_t port = 0;
};

std::optional<url_parts> parse_http_url(std::string_view url) {
  url_parts parts;
  std::string_view rest;
  if (url.starts_with("http://")) {
    parts.scheme = "http";
    parts.port = 80;
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    parts.scheme = "https";
    parts.port = 443;
    rest = url.substr(8);
  } else {
    return std::nullopt;
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  if (!split_host_port(authority, parts.host, parts.port, false, false)) return std::nullopt;
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; }) ||
      !is_one_line_text(url))
    return std::nullopt;
  return parts;
}

void read_url(table_reader& r, std::string_view key, std::string& out, bool required) {
  auto value = r.text(key, required, "an http:// or https:// URL");
  if (!value) return;
  if (!parse_http_url(*value)) {
    r.error_at(key, "\"" + *value + "\" is not an http:// or https:// URL with a host");
    return;
  }
  out = *value;
}

void read_server(error_sink& sink, const toml::table& t, server_config& out) {
  table_reader r(sink, t, "server");
  if (auto listen = r.text("listen", false, "host:port, such as \"127.0.0.1:8765\"")) {
    if (!split_host_port(*listen, out.listen_host, out.listen_port, true, true)) {
      r.error_at("listen", "\"" + *listen +
                               "\" is not host:port: expected e.g. \"127.0.0.1:8765\" or "
                               "\"[::1]:8765\"");
    } else if (!is_ip_address(out.listen_host)) {
      r.error_at("listen", "\"" + out.listen_host +
                               "\" is not an IP address: listen on an address such as "
                               "127.0.0.1, ::1 or 0.0.0.0");
    }
  }
  if (auto dir = r.text("state_dir", false, "an absolute path")) {
    if (!dir->starts_with('/'))
      r.error_at("state_dir", "\"" + *dir + "\" is not an absolute path");
    else
      out.state_dir = *dir;
  }
  constexpr std::string_view kLevels[] = {"trace", "debug", "info",    "warn",
                                          "error", "critical", "off"};
  if (auto level = r.string("log_level", false,
                            "one of trace, debug, info, warn, error, critical, off")) {
    if (std::find(std::begin(kLevels), std::end(kLevels), *level) == std::end(kLevels))
      r.error_at("log_level", "\"" + *level +
                                  "\" is not a log level: expected one of trace, debug, info, "
                                  "warn, error, critical, off");
    else
      out.log_level = *level;
  }
  if (auto v = r.integer("max_body_bytes", false, 1024, 64 * 1024 * 1024))
    out.max_body_bytes = static_cast<size_t>(*v);
  if (auto v = r.integer("max_header_bytes", false, 1024, 1024 * 1024))
    out.max_header_bytes = static_cast<size_t>(*v);
  if (auto v = r.integer("max_connections", false, 1, 1'000'000))
    out.max_connections = static_cast<size_t>(*v);
  r.duration("read_timeout", out.read_timeout, false, 1h);
  r.duration("write_timeout", out.write_timeout, false, 1h);
  r.duration("stop_timeout", out.stop_timeout, true, 24h);
  r.finish();
}

void read_ssh(error_sink& sink, const toml::table& t, ssh_config& out) {
  table_reader r(sink, t, "ssh");
  if (auto identity = r.text("identity", false, "an absolute path to a private key file")) {
    if (!identity->starts_with('/'))
      r.error_at("identity", "\"" + *identity + "\" is not an absolute path");
    out.identity = *identity;
  }
  if (auto agent = r.boolean("use_agent")) out.use_agent = *agent;
  if (auto known = r.text("known_hosts", false, "an absolute path to a known_hosts file")) {
    if (!known->starts_with('/'))
      r.error_at("known_hosts", "\"" + *known + "\" is not an absolute path");
    out.known_hosts = *known;
  }
  if (auto workers = r.integer("workers", false, 1, 256))
    out.workers = static_cast<unsigned>(*workers);
  r.duration("connect_timeout", out.connect_timeout, false, 10min);
  r.duration("keepalive", out.keepalive, true, 1h);
  r.finish();
}

void read_reality(error_sink& sink, const toml::table& t, reality_config& out) {
  table_reader r(sink, t, "reality");
  // "Off" may be written the way people say it: 0, "0" or "0s".
  const toml::node* n = t.get("interval");
  if (n && ((n->is_integer() && n->as_integer()->get() == 0) ||
            (n->is_string() && n->as_string()->get() == "0"))) {
    r.node("interval", false, "");
    out.interval = milliseconds(0);
    r.finish();
    return;
  }
  milliseconds interval = out.interval;
  r.duration("interval", interval, true, 24h);
  // Shorter than this would turn the look at every load balancer into load
  // on it; 0 is the way to say "never".
  if (interval.count() > 0 && interval < 100ms)
    r.error_at("interval", "too short: at least \"100ms\", or 0 to turn the reality loop off");
  else
    out.interval = interval;
  r.finish();
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

void read_colour(error_sink& sink, const toml::table& t, const std::string& path,
                 colour_config& out) {
  table_reader r(sink, t, path);
  constexpr std::string_view kHostsExpected =
      "a non-empty array of SSH destinations, e.g. [\"deploy@10.0.0.2\"]";
  if (auto hosts = r.strings("hosts", true, kHostsExpected)) {
    if (hosts->empty()) r.error_at("hosts", "must not be empty: expected " +
                                                std::string(kHostsExpected));
    const toml::array* arr = t.get("hosts")->as_array();
    for (size_t i = 0; i < hosts->size(); ++i) {
      auto target = parse_ssh_target((*hosts)[i]);
      if (!target) {
        sink.add(arr->get(i)->source(), r.key_path("hosts") + "[" + std::to_string(i) + "]",
                 "\"" + (*hosts)[i] +
                     "\" is not an SSH destination: expected [user@]host[:port], e.g. "
                     "\"deploy@10.0.0.2\"");
        continue;
      }
      out.hosts.push_back(*target);
    }
  }
  read_url(r, "url", out.url, true);
  if (auto identity = r.text("identity", false, "the text the colour answers on identity_path"))
    out.identity = *identity;
  if (auto upstreams = r.strings("upstreams", false, "an array of host:port")) {
    for (const auto& u : *upstreams) {
      std::string host;
      std::uint16_t port = 0;
      if (!split_host_port(u, host, port, true, false))
        r.error_at("upstreams", "\"" + u + "\" is not host:port");
      else
        out.upstreams.push_back(u);
    }
  }
  r.finish();
  if (out.upstreams.empty() && !out.url.empty()) {
    auto parts = parse_http_url(out.url);
    for (const auto& h : out.hosts) {
      bool v6 = h.host.find(':') != std::string::npos;
      out.upstreams.push_back((v6 ? "[" + h.host + "]" : h.host) + ":" +
                              std::to_string(parts->port));
    }
  }
}

void read_deploy(error_sink& sink, const toml::table& t, const std::string& path,
                 deploy_config& out) {
  table_reader r(sink, t, path);
  constexpr std::string_view kStepsExpected =
      "a non-empty array of shell commands run on every host of the idle colour";
  if (auto steps = r.strings("steps", true, kStepsExpected)) {
    if (steps->empty())
      r.error_at("steps", "must not be empty: expected " + std::string(kStepsExpected));
    out.steps = *steps;
  }
  if (auto resolve = r.text("resolve", true,
                            "a shell command that prints the commit sha of {ref}, e.g. "
                            "\"cd /srv/app && git rev-parse --verify {ref}^{commit}\""))
    out.resolve = *resolve;
  r.duration("timeout", out.timeout, false, 24h * 7);
  r.finish();
}

void read_check(error_sink& sink, const toml::table& t, const std::string& path,
                check_config& out) {
  table_reader r(sink, t, path);
  if (auto p = r.text("path", true, "a URL path starting with '/', e.g. \"/health\"")) {
    if (!p->starts_with('/'))
      r.error_at("path", "\"" + *p + "\" must start with '/'");
    else
      out.path = *p;
  }
  if (auto status = r.integer("expect_status", false, 100, 599))
    out.expect_status = static_cast<int>(*status);
  if (auto body = r.string("expect_body", false, "text the response body must contain"))
    out.expect_body = *body;
  if (auto retries = r.integer("retries", false, 0, 1000))
    out.retries = static_cast<unsigned>(*retries);
  r.duration("interval", out.interval, false, 1h);
  r.duration("timeout", out.timeout, false, 1h);
  r.finish();
}

void read_promote(error_sink& sink, const toml::table& t, const std::string& path,
                  promote_config& out) {
  table_reader r(sink, t, path);
  if (auto mode = r.string("mode", false, "\"manual\" or \"auto\"")) {
    if (*mode == "manual")
      out.mode = promote_config::mode::manual;
    else if (*mode == "auto")
      out.mode = promote_config::mode::automatic;
    else
      r.error_at("mode", "\"" + *mode + "\" is not a promote mode: expected \"manual\" or \"auto\"");
  }
  r.duration("watch", out.watch, true, 24h * 30);
  r.duration("watch_interval", out.watch_interval, false, 1h);
  if (auto threshold = r.integer("failure_threshold", false, 1, 1000))
    out.failure_threshold = static_cast<unsigned>(*threshold);
  r.finish();
}

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
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                   c == '.';
          }))
        r.error_at("upstream_name",
                   "\"" + *name + "\" is not a valid upstream name: use letters, digits, "
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
    if (auto url = r.text("api_url", false, "an http:// or https:// URL")) {
      if (!parse_http_url(*url))
        r.error_at("api_url", "\"" + *url + "\" is not an http:// or https:// URL");
      b.api_url = *url;
    }
    out.backend = std::move(b);
  } else if (*backend == "command") {
    command_backend b;
    if (auto cmd = r.text("switch_command", true,
                          "a shell command that routes traffic to {colour}"))
      b.switch_command = *cmd;
    if (auto cmd = r.text("current_command", true,
                          "a shell command that prints the colour traffic goes to"))
      b.current_command = *cmd;
    b.host = read_target(r, "host", false);
    out.backend = std::move(b);
  } else {
    r.error_at("backend", "\"" + *backend + "\" is not a traffic backend: expected " +
                              std::string(kBackends));
    for (const auto& [k, v] : t) r.mark_known(k.str());
  }
  r.finish();
}

void read_tasks(error_sink& sink, const toml::table& t, const std::string& path,
                std::map<std::string, task_config>& out) {
  for (const auto& [k, v] : t) {
    std::string name(k.str());
    std::string task_path = path + "." + name;
    if (!is_name(name, 63)) {
      sink.add(k.source(), task_path,
               "\"" + name + "\" is not a task name: use lower-case letters, digits, '-' and '_'");
      continue;
    }
    if (!v.is_table()) {
      sink.add(v.source(), task_path,
               "expected a table such as { command = \"...\", on = \"idle\", hosts = \"one\" }, "
               "got " + std::string(type_name(v.type())));
      continue;
    }
    table_reader r(sink, *v.as_table(), task_path);
    task_config task;
    if (auto cmd = r.text("command", true, "a shell command")) task.command = *cmd;
    if (auto on = r.string("on", false, "\"idle\", \"live\", \"blue\" or \"green\"")) {
      if (*on == "idle") task.on = task_config::target::idle;
      else if (*on == "live") task.on = task_config::target::live;
      else if (*on == "blue") task.on = task_config::target::blue;
      else if (*on == "green") task.on = task_config::target::green;
      else r.error_at("on", "\"" + *on + "\" is not a target: expected \"idle\", \"live\", \"blue\" or \"green\"");
    }
    if (auto hosts = r.string("hosts", false, "\"one\" or \"all\"")) {
      if (*hosts == "one") task.all_hosts = false;
      else if (*hosts == "all") task.all_hosts = true;
      else r.error_at("hosts", "\"" + *hosts + "\" is not a host choice: expected \"one\" or \"all\"");
    }
    r.finish();
    out.emplace(name, std::move(task));
  }
}

void read_secrets(error_sink& sink, const toml::table& t, const std::string& path,
                  std::map<std::string, secret_ref>& out) {
  table_reader r(sink, t, path);
  for (const auto& [k, v] : t) {
    std::string name(k.str());
    if (!is_env_name(name)) {
      sink.add(k.source(), path + "." + name,
               "\"" + name + "\" is not an environment variable name: use A-Z, 0-9 and '_'");
      r.mark_known(name);
      continue;
    }
    if (auto ref = r.secret(name, true)) out.emplace(name, *ref);
  }
  r.finish();
}

void read_app(error_sink& sink, const toml::table& t, size_t index, app_config& out) {
  std::string path = "app[" + std::to_string(index) + "]";
  table_reader r(sink, t, path);
  if (auto name = r.string("name", true, "the app's name, e.g. \"keepthescore\"")) {
    if (!is_name(*name, 63))
      r.error_at("name", "\"" + *name +
                             "\" is not an app name: use 1 to 63 lower-case letters, digits, "
                             "'-' and '_', starting with a letter or digit");
    out.name = *name;
  }
  read_url(r, "public_url", out.public_url, true);
  if (auto ip = r.text("identity_path", false, "a URL path such as \"/hostname\"")) {
    if (!ip->starts_with('/'))
      r.error_at("identity_path", "\"" + *ip + "\" must start with '/'");
    out.identity_path = *ip;
  }
  for (colour c : {colour::blue, colour::green}) {
    std::string key(to_string(c));
    if (auto sub = r.subtable(key, true, "a table [app." + key + "] with hosts and url"))
      read_colour(sink, *sub, r.key_path(key), c == colour::blue ? out.blue : out.green);
  }
  if (auto sub = r.subtable("deploy", true, "a table [app.deploy] with steps and resolve"))
    read_deploy(sink, *sub, r.key_path("deploy"), out.deploy);
  if (const toml::node* checks = r.node("check", false, "[[app.check]] tables")) {
    const toml::array* arr = checks->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      r.error_at("check", "expected [[app.check]] tables");
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        check_config check;
        read_check(sink, *arr->get(i)->as_table(),
                   r.key_path("check") + "[" + std::to_string(i) + "]", check);
        out.checks.push_back(std::move(check));
      }
    }
  }
  if (auto sub = r.subtable("promote", false, "a table [app.promote]"))
    read_promote(sink, *sub, r.key_path("promote"), out.promote);
  if (auto sub = r.subtable("traffic", true, "a table [app.traffic] with a backend"))
    read_traffic(sink, *sub, r.key_path("traffic"), out.traffic);
  if (auto sub = r.subtable("tasks", false, "a table [app.tasks]"))
    read_tasks(sink, *sub, r.key_path("tasks"), out.tasks);
  if (auto sub = r.subtable("secrets", false, "a table [app.secrets]"))
    read_secrets(sink, *sub, r.key_path("secrets"), out.secrets);
  r.finish();

  // Rules that span keys.
  if (out.identity_path) {
    for (colour c : {colour::blue, colour::green}) {
      const auto& cc = out.colour_of(c);
      if (cc.identity.empty() && t.get(to_string(c)))
        sink.add(t.get(to_string(c))->source(), r.key_path(std::string(to_string(c)) + ".identity"),
                 "required when identity_path is set: the text this colour answers on " +
                     *out.identity_path);
    }
    if (!out.blue.identity.empty() && out.blue.identity == out.green.identity) {
      const toml::node* where = t.at_path("green.identity").node();
      sink.add(where ? where->source() : t.source(), r.key_path("green.identity"),
               "equals blue.identity (\"" + out.blue.identity +
                   "\"): the colours must answer differently on identity_path");
    }
  }
  for (const auto& b : out.blue.hosts) {
    for (const auto& g : out.green.hosts) {
      if (b.host == g.host && b.port == g.port) {
        const toml::node* where = t.at_path("green.hosts").node();
        sink.add(where ? where->source() : t.source(), r.key_path("green.hosts"),
                 "host \"" + g.host +
                     "\" is in both blue and green: a deploy to the idle colour would change "
                     "the live one");
      }
    }
  }
  if (const auto* hap = std::get_if<haproxy_backend>(&out.traffic.backend)) {
    for (const auto& s : hap->blue_servers)
      if (std::find(hap->green_servers.begin(), hap->green_servers.end(), s) !=
          hap->green_servers.end())
        r.error_at("traffic", "HAProxy server \"" + s + "\" is in both blue_servers and green_servers");
  }
}

config_result finish(error_sink& sink, std::shared_ptr<config> cfg) {
  config_result result;
  result.errors = std::move(sink.errors());
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const config_error& a, const config_error& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  if (result.errors.empty()) result.value = std::move(cfg);
  return result;
}

}  // namespace

std::string_view traffic_config::backend_name() const {
  switch (backend.index()) {
    case 0: return "nginx";
    case 1: return "haproxy";
    case 2: return "digitalocean";
    default: return "command";
  }
}

const app_config* config::find_app(std::string_view name) const {
  for (const auto& app : apps)
    if (app.name == name) return &app;
  return nullptr;
}

std::string config_error::to_string() const {
  // Keys and values from the file are echoed in messages; escaped, a value
  // holding a newline cannot print a line that looks like another error.
  std::string out = escape_one_line(file);
  if (line) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!key.empty()) out += escape_one_line(key) + ": ";
  out += escape_one_line(message);
  return out;
}

config_result parse_config(std::string_view text, const std::filesystem::path& source_name) {
  error_sink sink(source_name.string());
  auto cfg = std::make_shared<config>();
  cfg->source = source_name;
  toml::table root;
  try {
    root = toml::parse(text, source_name.string());
  } catch (const toml::parse_error& e) {
    sink.add(e.source(), "", "invalid TOML: " + std::string(e.description()));
    return finish(sink, nullptr);
  }
  table_reader r(sink, root, "");
  if (auto server = r.subtable("server", false, "a table [server]"))
    read_server(sink, *server, cfg->server);
  if (auto ssh = r.subtable("ssh", false, "a table [ssh]")) read_ssh(sink, *ssh, cfg->ssh);
  if (auto reality = r.subtable("reality", false, "a table [reality]"))
    read_reality(sink, *reality, cfg->reality);
  if (const toml::node* apps = r.node("app", false, "[[app]] tables")) {
    const toml::array* arr = apps->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      r.error_at("app", "expected [[app]] tables, one per app");
    } else {
      std::map<std::string, toml::source_region> seen;
      for (size_t i = 0; i < arr->size(); ++i) {
        app_config app;
        const toml::table& t = *arr->get(i)->as_table();
        read_app(sink, t, i, app);
        if (!app.name.empty()) {
          auto [it, inserted] = seen.emplace(app.name, t.source());
          if (!inserted) {
            const toml::node* name_node = t.get("name");
            sink.add(name_node ? name_node->source() : t.source(),
                     "app[" + std::to_string(i) + "].name",
                     "app \"" + app.name + "\" is defined twice (first at line " +
                         std::to_string(it->second.begin.line) + ")");
          }
        }
        cfg->apps.push_back(std::move(app));
      }
    }
  }
  r.finish();
  if (!cfg->apps.empty() && !cfg->ssh.identity && !cfg->ssh.use_agent) {
    const toml::node* ssh = root.get("ssh");
    sink.add(ssh ? ssh->source() : root.source(), "ssh",
             "apps are configured but SSH has no credentials: set ssh.identity to a private "
             "key file or ssh.use_agent = true");
  }
  return finish(sink, std::move(cfg));
}

namespace {

constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// The config file's text, or nullopt with `why`. Only a regular file of at
// most kMaxConfigBytes: a directory would read as empty, /dev/zero never
// ends, and opening a FIFO without O_NONBLOCK waits for a writer forever.
std::optional<std::string> read_config_text(const std::filesystem::path& path, std::string& why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_at_end{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    why = std::string(S_ISDIR(st.st_mode)    ? "it is a directory"
                      : S_ISFIFO(st.st_mode) ? "it is a FIFO"
                      : S_ISCHR(st.st_mode)  ? "it is a character device"
                      : S_ISSOCK(st.st_mode) ? "it is a socket"
                                             : "it is not a regular file") +
          "; give the path of the TOML file itself, e.g. /etc/bluegreen/bluegreen.toml";
    return std::nullopt;
  }
  std::string text;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      why = "it is larger than 1 MiB, the most a config file may be";
      return std::nullopt;
    }
  }
  return text;
}

}  // namespace

config_result load_config(const std::filesystem::path& path) {
  std::string why;
  auto text = read_config_text(path, why);
  if (!text) {
    config_result result;
    result.errors.push_back(
        config_error{path.string(), 0, 0, "", "cannot read the config file: " + why});
    return result;
  }
  return parse_config(*text, path);
}

std::optional<std::string> read_secret(const secret_ref& ref, std::string& error_message) {
  std::filesystem::path path;
  if (ref.from == secret_ref::source::file) {
    path = ref.name;
  } else {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir) {
      error_message = "systemd credential \"" + ref.name +
                      "\" is not available: $CREDENTIALS_DIRECTORY is not set (add "
                      "LoadCredential=" + ref.name + ":/path to the service)";
      return std::nullopt;
    }
    path = std::filesystem::path(dir) / ref.name;
  }
  std::string why;
  auto text = read_file_text(path, why);
  if (!text) {
    error_message = "cannot read secret file " + path.string() + ": " + why;
    return std::nullopt;
  }
  std::string value = std::move(*text);
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  if (value.empty()) {
    error_message = "secret file " + path.string() + " is empty";
    return std::nullopt;
  }
  return value;
}

}  // namespace bluegreen::daemon
