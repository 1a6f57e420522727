#include "daemon/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "daemon/config_reader.hpp"
#include "daemon/config_sections.hpp"
#include "daemon/net/host_port.hpp"
#include "daemon/one_line_text.hpp"

namespace bluegreen::daemon {

namespace {

using namespace std::chrono_literals;

// A `listen` key: an IP address and a port (0: any free port). Returns
// whether one was given and valid.
bool read_listen(table_reader& r, std::string_view example, std::string& host,
                 std::uint16_t& port) {
  auto listen = r.text("listen", false, "host:port, such as \"" + std::string(example) + "\"");
  if (!listen) return false;
  auto address = net::parse_host_port(*listen, {.port_required = true, .allow_zero_port = true});
  if (!address) {
    r.error_at("listen", "\"" + *listen + "\" is not host:port: expected e.g. \"" +
                             std::string(example) + "\" or \"[::1]:" +
                             std::string(example.substr(example.rfind(':') + 1)) + "\"");
    return false;
  }
  if (!net::is_ip_address(address->host)) {
    r.error_at("listen", "\"" + address->host +
                             "\" is not an IP address: listen on an address such as "
                             "127.0.0.1, ::1 or 0.0.0.0");
    return false;
  }
  host = address->host;
  port = *address->port;
  return true;
}

void read_server(error_sink& sink, const toml::table& t, server_config& out) {
  table_reader r(sink, t, "server");
  read_listen(r, "127.0.0.1:8765", out.listen_host, out.listen_port);
  if (auto dir = r.text("state_dir", false, "an absolute path")) {
    if (!dir->starts_with('/'))
      r.error_at("state_dir", "\"" + *dir + "\" is not an absolute path");
    else
      out.state_dir = *dir;
  }
  constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                          "error", "critical", "off"};
  if (auto level =
          r.string("log_level", false, "one of trace, debug, info, warn, error, critical, off")) {
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
  r.duration("session_ttl", out.session_ttl, false, 30 * 24h);
  if (out.session_ttl < 1min)
    r.error_at("session_ttl", "\"" + format_duration(out.session_ttl) +
                                  "\" is too short: a dashboard sign-in needs at least \"1m\"");
  read_url(r, "public_url", out.public_url, false);
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

void read_metrics(error_sink& sink, const toml::table& t, metrics_config& out) {
  table_reader r(sink, t, "metrics");
  std::string host;
  std::uint16_t port = 0;
  if (read_listen(r, "127.0.0.1:9108", host, port)) {
    out.listen_host = host;
    out.listen_port = port;
  }
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
  if (load_balancers.empty()) return "none";
  switch (load_balancers.front().backend.index()) {
    case 0:
      return "nginx";
    case 1:
      return "haproxy";
    case 2:
      return "digitalocean";
    default:
      return "command";
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
  if (auto metrics = r.subtable("metrics", false, "a table [metrics]"))
    read_metrics(sink, *metrics, cfg->metrics);
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
  read_hooks_sections(sink, root, r, *cfg);
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

}  // namespace bluegreen::daemon
