#include "daemon/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daemon/duration.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::daemon {
namespace {

using namespace std::chrono_literals;

// A small valid app, to which cases add or change lines.
const std::string kServer = R"([server]
listen = "127.0.0.1:8765"
state_dir = "/var/lib/bluegreen"

[ssh]
identity = "/var/lib/bluegreen/id_ed25519"
)";

const std::string kApp = R"(
[[app]]
name = "web"
public_url = "https://example.com"
identity_path = "/hostname"
  [app.blue]
  hosts = ["deploy@10.0.0.2"]
  url = "http://10.0.0.2:8000"
  identity = "blue-production"
  [app.green]
  hosts = ["deploy@10.0.0.3", "deploy@10.0.0.4:2222"]
  url = "http://10.0.0.3:8000"
  identity = "green-production"
  [app.deploy]
  steps = ["cd /srv/app && git checkout {sha}"]
  resolve = "cd /srv/app && git rev-parse --verify {ref}^{commit}"
  [app.traffic]
  backend = "nginx"
  upstream_file = "/etc/nginx/bluegreen/web.conf"
  upstream_name = "web"
)";

TEST(Config, ExampleParses) {
  auto result = load_config(BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml");
  for (const auto& e : result.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(result.value);
  const config& cfg = *result.value;
  EXPECT_EQ(cfg.server.listen_port, 8765);
  ASSERT_EQ(cfg.apps.size(), 1u);
  const app_config& app = cfg.apps[0];
  EXPECT_EQ(app.name, "keepthescore");
  EXPECT_EQ(app.identity_path, "/hostname");
  EXPECT_EQ(app.blue.identity, "blue-production");
  EXPECT_EQ(app.green.hosts.at(0).user, "root");
  EXPECT_EQ(app.green.hosts.at(0).host, "10.0.0.3");
  EXPECT_EQ(app.green.upstreams.at(0), "10.0.0.3:8000");
  EXPECT_EQ(app.deploy.steps.size(), 3u);
  EXPECT_EQ(app.deploy.timeout, 10min);
  ASSERT_EQ(app.checks.size(), 2u);
  EXPECT_EQ(app.checks[1].expect_body, "{identity}");
  EXPECT_EQ(app.promote.watch, 60s);
  EXPECT_EQ(app.traffic.backend_name(), "digitalocean");
  const auto& d = std::get<digitalocean_backend>(app.traffic.load_balancers.at(0).backend);
  EXPECT_EQ(d.token.from, secret_ref::source::credential);
  EXPECT_EQ(d.blue_droplet_id, 3164444);
  ASSERT_EQ(app.tasks.count("migrate"), 1u);
  EXPECT_FALSE(app.tasks.at("migrate").all_hosts);
}

TEST(Config, MetricsListenIsAnAddressAsServerListenIs) {
  auto with_metrics = [](const std::string& table) {
    return parse_config(kServer + "\n[metrics]\n" + table + "\n" + kApp, "t.toml");
  };
  auto none = parse_config(kServer + kApp, "t.toml");
  ASSERT_TRUE(none.value);
  EXPECT_FALSE(none.value->metrics.listen_host);  // no second listener unless asked for

  auto v4 = with_metrics("listen = \"10.0.0.5:9108\"");
  for (const auto& e : v4.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(v4.value);
  EXPECT_EQ(v4.value->metrics.listen_host, "10.0.0.5");
  EXPECT_EQ(v4.value->metrics.listen_port, 9108);
  auto v6 = with_metrics("listen = \"[::1]:0\"");
  ASSERT_TRUE(v6.value);
  EXPECT_EQ(v6.value->metrics.listen_host, "::1");
  EXPECT_EQ(v6.value->metrics.listen_port, 0);

  auto refused = [&](const std::string& table, const std::string& message) {
    auto r = with_metrics(table);
    EXPECT_FALSE(r.value) << table;
    ASSERT_EQ(r.errors.size(), 1u) << table;
    EXPECT_EQ(r.errors[0].key, "metrics." + table.substr(0, table.find(' ')));
    EXPECT_EQ(r.errors[0].line, 9u);
    EXPECT_NE(r.errors[0].message.find(message), std::string::npos) << r.errors[0].message;
  };
  refused("listen = \"127.0.0.1\"",
          "\"127.0.0.1\" is not host:port: expected e.g. \"127.0.0.1:9108\" or \"[::1]:9108\"");
  refused("listen = \"localhost:9108\"", "\"localhost\" is not an IP address");
  refused("listen = 9108", "host:port");
  refused("port = 9108", "unknown key; expected one of: listen");
}

TEST(Config, SmallConfigParsesWithDefaults) {
  auto result = parse_config(kServer + kApp, "t.toml");
  for (const auto& e : result.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(result.value);
  const auto& app = result.value->apps.at(0);
  EXPECT_EQ(app.promote.mode, promote_config::mode::manual);
  EXPECT_EQ(app.green.hosts.at(1).port, 2222);
  EXPECT_EQ(app.green.upstreams.at(1), "10.0.0.4:8000");
  const auto& n = std::get<nginx_backend>(app.traffic.load_balancers.at(0).backend);
  EXPECT_EQ(n.test_command, "nginx -t");
  EXPECT_EQ(result.value->ssh.workers, 16u);
}

TEST(Config, EmptyFileIsValidWithoutApps) {
  auto result = parse_config("", "empty.toml");
  ASSERT_TRUE(result.value);
  EXPECT_TRUE(result.value->apps.empty());
  EXPECT_EQ(result.value->server.listen_host, "127.0.0.1");
}

struct invalid_case {
  const char* name;
  std::string text;
  std::uint32_t line;
  std::string key;
  std::string message;  // a part of the message
};

// Replaces the first occurrence of `from` in the small valid config.
std::string with(const std::string& from, const std::string& to) {
  std::string text = kServer + kApp;
  auto pos = text.find(from);
  if (pos == std::string::npos) throw std::runtime_error("no '" + from + "' in the base config");
  return text.replace(pos, from.size(), to);
}

void PrintTo(const invalid_case& c, std::ostream* os) { *os << c.name; }

class InvalidConfig : public ::testing::TestWithParam<invalid_case> {};

TEST_P(InvalidConfig, ReportsFileLineKeyAndWhatWasExpected) {
  const auto& c = GetParam();
  auto result = parse_config(c.text, "/etc/bluegreen/bluegreen.toml");
  EXPECT_FALSE(result.value) << "config should be refused";
  ASSERT_FALSE(result.errors.empty());
  bool found = false;
  std::string all;
  for (const auto& e : result.errors) {
    all += e.to_string() + "\n";
    if (e.line == c.line && e.key == c.key && e.message.find(c.message) != std::string::npos) {
      found = true;
      EXPECT_EQ(e.file, "/etc/bluegreen/bluegreen.toml");
      EXPECT_NE(e.to_string().find("/etc/bluegreen/bluegreen.toml:" + std::to_string(c.line) + ":"),
                std::string::npos);
    }
  }
  EXPECT_TRUE(found) << "expected line " << c.line << " key '" << c.key << "' with '" << c.message
                     << "', got:\n"
                     << all;
}

// Lines in the base config: server 1-3, ssh 5-6, app from 8.
INSTANTIATE_TEST_SUITE_P(
    Cases, InvalidConfig,
    ::testing::Values(
        invalid_case{"syntax", with("listen = \"127.0.0.1:8765\"", "listen = 127.0.0.1:8765"), 2,
                     "", "invalid TOML"},
        invalid_case{"unknown_top_key", "colour = \"blue\"\n", 1, "colour",
                     "unknown key; expected one of: app, chat, github, metrics, notify, outbound, "
                     "reality, server, ssh"},
        invalid_case{"unknown_server_key", with("state_dir", "lisen = \"x\"\nstate_dir"), 3,
                     "server.lisen", "unknown key"},
        invalid_case{"listen_without_port", with("127.0.0.1:8765", "127.0.0.1"), 2, "server.listen",
                     "is not host:port"},
        invalid_case{"listen_on_a_name", with("127.0.0.1:8765", "localhost:8765"), 2,
                     "server.listen", "is not an IP address"},
        invalid_case{"relative_identity",
                     with("\"/var/lib/bluegreen/id_ed25519\"", "\"id_ed25519\""), 6, "ssh.identity",
                     "not an absolute path"},
        invalid_case{
            "same_droplet",
            with("backend = \"nginx\"\n  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n  "
                 "upstream_name = \"web\"",
                 "backend = \"digitalocean\"\n  reserved_ip = \"203.0.113.7\"\n  token = "
                 "{ file = \"/etc/bluegreen/do\" }\n  blue_droplet_id = 1\n  green_droplet_id = 1"),
            28, "app[0].traffic.green_droplet_id", "equals blue_droplet_id"},
        invalid_case{
            "bad_reserved_ip",
            with("backend = \"nginx\"\n  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n  "
                 "upstream_name = \"web\"",
                 "backend = \"digitalocean\"\n  reserved_ip = \"999.1.1.1\"\n  token = "
                 "{ file = \"/etc/bluegreen/do\" }\n  blue_droplet_id = 1\n  green_droplet_id = 2"),
            25, "app[0].traffic.reserved_ip", "is not an IPv4 address"},
        invalid_case{
            "empty_haproxy_servers",
            with("backend = \"nginx\"\n  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n  "
                 "upstream_name = \"web\"",
                 "backend = \"haproxy\"\n  socket = \"/run/haproxy/admin.sock\"\n  "
                 "backend_name = \"web\"\n  blue_servers = []\n  green_servers = [\"g1\"]"),
            27, "app[0].traffic.blue_servers", "must not be empty"},
        invalid_case{
            "haproxy_without_state_file",
            with("backend = \"nginx\"\n  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n  "
                 "upstream_name = \"web\"",
                 "backend = \"haproxy\"\n  socket = \"/run/haproxy/admin.sock\"\n  "
                 "backend_name = \"web\"\n  blue_servers = [\"b1\"]\n  green_servers = [\"g1\"]"),
            23, "app[0].traffic.state_file", "required key is missing"},
        invalid_case{
            "haproxy_relative_socket",
            with("backend = \"nginx\"\n  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n  "
                 "upstream_name = \"web\"",
                 "backend = \"haproxy\"\n  socket = \"admin.sock\"\n  "
                 "backend_name = \"web\"\n  blue_servers = [\"b1\"]\n  green_servers = [\"g1\"]\n"
                 "  state_file = \"/var/lib/haproxy/state/web\""),
            25, "app[0].traffic.socket", "is neither an absolute path nor host:port"},
        invalid_case{
            "haproxy_server_name_with_space",
            with("backend = \"nginx\"\n  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n  "
                 "upstream_name = \"web\"",
                 "backend = \"haproxy\"\n  socket = \"127.0.0.1:9999\"\n  "
                 "backend_name = \"web\"\n  blue_servers = [\"b1\"]\n  green_servers = [\"g 1\"]\n"
                 "  state_file = \"/var/lib/haproxy/state/web\""),
            28, "app[0].traffic.green_servers", "is not an HAProxy server name"},
        invalid_case{"relative_state_dir", with("\"/var/lib/bluegreen\"", "\"state\""), 3,
                     "server.state_dir", "not an absolute path"},
        invalid_case{"duration_without_unit",
                     with("identity = \"/var/lib/bluegreen/id_ed25519\"",
                          "identity = \"/k\"\nconnect_timeout = \"10\""),
                     7, "ssh.connect_timeout", "is not a duration"},
        invalid_case{"workers_wrong_type", with("[ssh]", "[ssh]\nworkers = \"many\""), 6,
                     "ssh.workers", "expected an integer from 1 to 256, got a string"},
        invalid_case{"workers_out_of_range", with("[ssh]", "[ssh]\nworkers = 0"), 6, "ssh.workers",
                     "out of range"},
        invalid_case{"missing_app_url", with("  url = \"http://10.0.0.2:8000\"\n", ""), 12,
                     "app[0].blue.url", "required key is missing"},
        invalid_case{"bad_app_name", with("name = \"web\"", "name = \"Web App\""), 9, "app[0].name",
                     "is not an app name"},
        invalid_case{"bad_host", with("deploy@10.0.0.2", "deploy@-oProxyCommand=x"), 13,
                     "app[0].blue.hosts[0]", "is not an SSH destination"},
        invalid_case{"host_in_brackets_not_ipv6", with("deploy@10.0.0.2", "deploy@[10.0.0.2]"), 13,
                     "app[0].blue.hosts[0]", "is not an SSH destination"},
        invalid_case{"url_with_bare_ipv6", with("http://10.0.0.2:8000", "http://fd00::2:8000"), 14,
                     "app[0].blue.url", "is not an http:// or https:// URL"},
        invalid_case{"empty_hosts", with("hosts = [\"deploy@10.0.0.2\"]", "hosts = []"), 13,
                     "app[0].blue.hosts", "must not be empty"},
        invalid_case{"overlapping_colours",
                     with("deploy@10.0.0.3\", \"deploy", "deploy@10.0.0.2\", \"deploy"), 17,
                     "app[0].green.hosts", "is in both blue and green"},
        invalid_case{"same_identity", with("\"green-production\"", "\"blue-production\""), 19,
                     "app[0].green.identity", "must answer differently"},
        invalid_case{"unknown_backend", with("backend = \"nginx\"", "backend = \"f5\""), 24,
                     "app[0].traffic.backend", "is not a traffic backend"},
        invalid_case{"nginx_without_upstream_file",
                     with("  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n", ""), 23,
                     "app[0].traffic.upstream_file", "required key is missing"},
        invalid_case{
            "key_of_other_backend",
            with("upstream_name = \"web\"", "upstream_name = \"web\"\n  reserved_ip = \"1.2.3.4\""),
            27, "app[0].traffic.reserved_ip", "unknown key"},
        invalid_case{
            "inline_secret",
            with("backend = \"nginx\"\n  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n  "
                 "upstream_name = \"web\"",
                 "backend = \"digitalocean\"\n  reserved_ip = \"203.0.113.7\"\n  token = "
                 "\"dop_v1_abc\"\n  blue_droplet_id = 1\n  green_droplet_id = 2"),
            26, "app[0].traffic.token", "never written inline"},
        invalid_case{"bad_promote_mode",
                     with("[app.traffic]", "[app.promote]\n  mode = \"yolo\"\n  [app.traffic]"), 24,
                     "app[0].promote.mode", "expected \"manual\" or \"auto\""},
        invalid_case{"check_path_relative",
                     with("[app.traffic]", "[[app.check]]\n  path = \"health\"\n  [app.traffic]"),
                     24, "app[0].check[0].path", "must start with '/'"},
        invalid_case{
            "check_status_range",
            with("[app.traffic]",
                 "[[app.check]]\n  path = \"/health\"\n  expect_status = 999\n  [app.traffic]"),
            25, "app[0].check[0].expect_status", "out of range"},
        invalid_case{"duplicate_app", kServer + kApp + kApp, 29, "app[1].name", "defined twice"},
        invalid_case{"no_ssh_credentials",
                     with("identity = \"/var/lib/bluegreen/id_ed25519\"\n", ""), 5, "ssh",
                     "set ssh.identity"},
        invalid_case{"missing_identity", with("  identity = \"blue-production\"\n", ""), 12,
                     "app[0].blue.identity", "required when identity_path is set"},
        invalid_case{"bad_task_target",
                     with("[app.traffic]",
                          "[app.tasks]\n  migrate = { command = \"./migrate\", on = \"staging\" "
                          "}\n  [app.traffic]"),
                     24, "app[0].tasks.migrate.on", "is not a target"},
        invalid_case{
            "bad_secret_name",
            with(
                "[app.traffic]",
                "[app.secrets]\n  db-password = { file = \"/etc/bluegreen/db\" }\n  [app.traffic]"),
            24, "app[0].secrets.db-password", "not an environment variable name"}),
    [](const ::testing::TestParamInfo<invalid_case>& info) {
      return std::string(info.param.name);
    });

TEST(Config, HaproxyBackendParsesWithItsLoadBalancerHost) {
  auto result = parse_config(
      with("backend = \"nginx\"\n  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n  "
           "upstream_name = \"web\"",
           "backend = \"haproxy\"\n  socket = \"/run/haproxy/admin.sock\"\n  "
           "backend_name = \"web\"\n  blue_servers = [\"b1\"]\n  green_servers = [\"g1\", \"g2\"]\n"
           "  state_file = \"/var/lib/haproxy/state/web\"\n  host = \"root@lb1\""),
      "/etc/bluegreen/bluegreen.toml");
  for (const auto& e : result.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(result.value);
  const auto& h = std::get<haproxy_backend>(result.value->apps.at(0).traffic.load_balancers.at(0).backend);
  EXPECT_EQ(h.socket, "/run/haproxy/admin.sock");
  EXPECT_EQ(h.backend, "web");
  EXPECT_EQ(h.green_servers, (std::vector<std::string>{"g1", "g2"}));
  EXPECT_EQ(h.state_file, "/var/lib/haproxy/state/web");
  ASSERT_TRUE(h.host);
  EXPECT_EQ(h.host->host, "lb1");
}

TEST(Config, CollectsSeveralErrorsAtOnce) {
  std::string text = with("listen = \"127.0.0.1:8765\"", "listen = \"nowhere\"");
  text += "\n[extra]\n";
  auto result = parse_config(text, "t.toml");
  EXPECT_FALSE(result.value);
  EXPECT_GE(result.errors.size(), 2u);
}

TEST(Config, MissingFileIsAClearError) {
  auto result = load_config("/nonexistent/bluegreen.toml");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].to_string(),
            "/nonexistent/bluegreen.toml: cannot read the config file: No such file or directory");
}

TEST(Config, SecretsAreReadFromFilesAndCredentials) {
  testing::temp_dir dir;
  auto file = dir.write("token", "s3cret\n");
  EXPECT_EQ(read_secret({secret_ref::source::file, file.string()}).value(), "s3cret");
  dir.write("creds/do-token", "from-systemd");
  setenv("CREDENTIALS_DIRECTORY", (dir / "creds").c_str(), 1);
  EXPECT_EQ(read_secret({secret_ref::source::credential, "do-token"}).value(), "from-systemd");
  auto absent = read_secret({secret_ref::source::credential, "absent"});
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, "secret_unavailable");
  EXPECT_NE(absent.error().message.find("absent"), std::string::npos);
  unsetenv("CREDENTIALS_DIRECTORY");
}

TEST(Duration, ParsesUnitsAndRefusesBareNumbers) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("90s"), 90s);
  EXPECT_EQ(parse_duration("10m"), 10min);
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("2d"), std::chrono::hours(48));
  EXPECT_FALSE(parse_duration("10"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("1.5s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("10 s"));
  EXPECT_FALSE(parse_duration("99999999999999999999h"));
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(0ms), "0s");
}

// A duration far too long ("107000d" is 293 years) once passed and then
// overflowed the deadlines computed from it; each key has a ceiling.
TEST(Config, EveryDurationHasACeiling) {
  struct ceiling {
    std::string table, key, max, over;
  };
  const ceiling cases[] = {
      {"[server]", "read_timeout", "1h", "61m"},
      {"[server]", "write_timeout", "1h", "3601s"},
      {"[server]", "stop_timeout", "1d", "25h"},
      {"[server]", "session_ttl", "30d", "31d"},
      {"[ssh]", "connect_timeout", "10m", "601s"},
      {"[ssh]", "keepalive", "1h", "2h"},
      {"[app.deploy]", "timeout", "7d", "8d"},
      {"[app.promote]", "watch", "30d", "31d"},
      {"[app.promote]", "watch_interval", "1h", "1h1ms"},
      {"[[app.check]]\n  path = \"/\"", "interval", "1h", "2h"},
      {"[[app.check]]\n  path = \"/\"", "timeout", "1h", "2h"},
  };
  auto config_with = [](const ceiling& c, const std::string& value) {
    std::string line = "\n  " + c.key + " = \"" + value + "\"\n";
    if (c.table == "[server]" || c.table == "[ssh]" || c.table == "[app.deploy]")
      return with(c.table, c.table + line);
    return with("[app.traffic]", c.table + line + "  [app.traffic]");
  };
  for (const auto& c : cases) {
    auto at_max = parse_config(config_with(c, c.max), "t.toml");
    for (const auto& e : at_max.errors)
      ADD_FAILURE() << c.key << " = " << c.max << ": " << e.to_string();
    for (const std::string& value : {c.over, std::string("107000d")}) {
      auto over = parse_config(config_with(c, value), "t.toml");
      EXPECT_FALSE(over.value) << c.key << " = " << value;
      ASSERT_EQ(over.errors.size(), 1u) << c.key << " = " << value;
      EXPECT_NE(over.errors[0].message.find("is too long: at most \"" + c.max + "\""),
                std::string::npos)
          << over.errors[0].to_string();
    }
  }
}

TEST(Config, MaxConnectionsIsReadAndBounded) {
  auto result = parse_config(with("[ssh]", "max_connections = 64\n\n[ssh]"), "t.toml");
  for (const auto& e : result.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(result.value);
  EXPECT_EQ(result.value->server.max_connections, 64u);
  EXPECT_EQ(parse_config("", "t.toml").value->server.max_connections, 512u);
  EXPECT_FALSE(parse_config("[server]\nmax_connections = 0\n", "t.toml").value);
}

TEST(Config, TheDashboardSessionsLifetimeAndPublicUrlAreReadAndChecked) {
  auto defaults = parse_config("", "t.toml");
  ASSERT_TRUE(defaults.value);
  EXPECT_EQ(defaults.value->server.session_ttl, std::chrono::hours(12));
  EXPECT_EQ(defaults.value->server.public_url, "");

  auto set = parse_config(
      "[server]\nsession_ttl = \"8h\"\npublic_url = \"https://deploy.example.com\"\n", "t.toml");
  for (const auto& e : set.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(set.value);
  EXPECT_EQ(set.value->server.session_ttl, std::chrono::hours(8));
  EXPECT_EQ(set.value->server.public_url, "https://deploy.example.com");

  auto short_ttl = parse_config("[server]\nsession_ttl = \"30s\"\n", "t.toml");
  EXPECT_FALSE(short_ttl.value);
  ASSERT_EQ(short_ttl.errors.size(), 1u);
  EXPECT_NE(short_ttl.errors[0].to_string().find("server.session_ttl: \"30s\" is too short"),
            std::string::npos)
      << short_ttl.errors[0].to_string();
  EXPECT_FALSE(parse_config("[server]\nsession_ttl = \"0s\"\n", "t.toml").value);
  auto bad_url = parse_config("[server]\npublic_url = \"deploy.example.com\"\n", "t.toml");
  EXPECT_FALSE(bad_url.value);
  ASSERT_EQ(bad_url.errors.size(), 1u);
  EXPECT_NE(bad_url.errors[0].to_string().find("server.public_url"), std::string::npos);
}

// check-config once said "ok" for a directory; a FIFO would block it and
// /dev/zero would never end.
TEST(Config, OnlyARegularFileOfAtMostOneMebibyteIsAConfig) {
  testing::temp_dir dir;
  auto fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto big = dir.write("big.toml", "# " + std::string(1024 * 1024, 'x') + "\n");
  const std::pair<std::filesystem::path, std::string> cases[] = {
      {dir.path(), "it is a directory"},
      {fifo, "it is a FIFO"},
      {"/dev/zero", "it is a character device"},
      {big, "it is larger than 1 MiB"},
  };
  for (const auto& [path, why] : cases) {
    auto result = load_config(path);
    EXPECT_FALSE(result.value) << path;
    ASSERT_EQ(result.errors.size(), 1u) << path;
    EXPECT_NE(result.errors[0].to_string().find("cannot read the config file: " + why),
              std::string::npos)
        << result.errors[0].to_string();
  }
  auto small = dir.write("ok.toml", "[server]\nlisten = \"127.0.0.1:9000\"\n");
  ASSERT_TRUE(load_config(small).value);
}

// A value (or key) holding a newline is echoed escaped, so it cannot print
// a line that looks like an error of its own.
TEST(Config, EchoedValuesCannotFakeAnErrorLine) {
  auto result = parse_config(
      "[server]\n"
      "log_level = \"loud\\n/etc/bluegreen/bluegreen.toml:1:1: server.listen: fake\"\n"
      "\"x\\u2028y\\u0085z\\u202e\" = 1\n"
      "read_timeout = \"1s\\r\\u0000\"\n",
      "/etc/bluegreen/bluegreen.toml");
  ASSERT_EQ(result.errors.size(), 3u);
  std::string all;
  for (const auto& e : result.errors) {
    std::string line = e.to_string();
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    EXPECT_EQ(line.find("\u2028"), std::string::npos) << line;
    EXPECT_EQ(line.find("\u202e"), std::string::npos) << line;
    all += line + "\n";
  }
  EXPECT_NE(all.find(R"("loud\n/etc/bluegreen/bluegreen.toml:1:1: server.listen: fake")"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find(R"(server.x\u{2028}y\u{0085}z\u{202e}: unknown key)"), std::string::npos)
      << all;
  EXPECT_NE(all.find(R"("1s\r\x00" is not a duration)"), std::string::npos) << all;
}

TEST(Config, UrlsWithUnicodeSeparatorsOrFormatCharactersAreRefused) {
  for (const char* url : {"https://example.com/\u2028", "https://example.com/a\u202eb",
                          "https://example.com/\u200b"}) {
    auto result = parse_config(with("https://example.com", url), "t.toml");
    EXPECT_FALSE(result.value) << url;
  }
}


// Two nginx load balancers below kApp's [app.traffic] (lines 27 to 32).
const std::string kTwoLoadBalancers = R"(  [[app.traffic.load_balancer]]
  name = "lb1"
  host = "root@10.0.0.8"
  [[app.traffic.load_balancer]]
  host = "root@10.0.0.9:2222"
  upstream_file = "/etc/nginx/other.conf"
)";

TEST(Config, LoadBalancersInheritTheTrafficKeysAndMayOverrideThem) {
  auto result = parse_config(kServer + kApp + kTwoLoadBalancers, "t.toml");
  for (const auto& e : result.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(result.value);
  const auto& t = result.value->apps.at(0).traffic;
  EXPECT_EQ(t.backend_name(), "nginx");
  EXPECT_TRUE(t.supports_weights());
  ASSERT_EQ(t.load_balancers.size(), 2u);
  EXPECT_EQ(t.load_balancers[0].name, "lb1");
  const auto& first = std::get<nginx_backend>(t.load_balancers[0].backend);
  EXPECT_EQ(first.upstream_file, "/etc/nginx/bluegreen/web.conf");
  EXPECT_EQ(first.upstream_name, "web");
  EXPECT_EQ(first.test_command, "nginx -t");
  ASSERT_TRUE(first.host);
  EXPECT_EQ(first.host->host, "10.0.0.8");
  // Without a name, its host as written.
  EXPECT_EQ(t.load_balancers[1].name, "root@10.0.0.9:2222");
  const auto& second = std::get<nginx_backend>(t.load_balancers[1].backend);
  EXPECT_EQ(second.upstream_file, "/etc/nginx/other.conf");
  EXPECT_EQ(second.upstream_name, "web");
  ASSERT_TRUE(second.host);
  EXPECT_EQ(second.host->port, 2222);
}

TEST(Config, WithoutLoadBalancerTablesTheTrafficKeysAreTheOneLoadBalancer) {
  auto result = parse_config(kServer + kApp, "t.toml");
  ASSERT_TRUE(result.value);
  const auto& lbs = result.value->apps.at(0).traffic.load_balancers;
  ASSERT_EQ(lbs.size(), 1u);
  EXPECT_EQ(lbs[0].name, "local");
  EXPECT_EQ(std::get<nginx_backend>(lbs[0].backend).upstream_file,
            "/etc/nginx/bluegreen/web.conf");
}

TEST(Config, LoadBalancerMistakesAreReportedWhereTheyAreWritten) {
  const std::string nginx_keys =
      "backend = \"nginx\"\n  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n  "
      "upstream_name = \"web\"";
  const std::string base = kServer + kApp;
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string text = base;
    return text.replace(text.find(from), from.size(), to);
  };
  const invalid_case cases[] = {
      {"command_takes_one",
       replaced(nginx_keys,
                "backend = \"command\"\n  switch_command = \"./route {colour}\"\n  "
                "current_command = \"./current\"") +
           "  [[app.traffic.load_balancer]]\n  name = \"lb1\"\n",
       27, "app[0].traffic.load_balancer", "the command backend takes exactly one load balancer"},
      {"not_tables", base + "  load_balancer = \"lb1\"\n", 27, "app[0].traffic.load_balancer",
       "expected one or more [[app.traffic.load_balancer]] tables"},
      {"same_name", base + kTwoLoadBalancers + "  name = \"lb1\"\n", 33,
       "app[0].traffic.load_balancer[1].name", "is taken by load_balancer[0]"},
      {"same_default_name",
       base + "  [[app.traffic.load_balancer]]\n  [[app.traffic.load_balancer]]\n  upstream_file = "
              "\"/etc/nginx/b.conf\"\n",
       28, "app[0].traffic.load_balancer[1]", "the name \"local\" is taken by load_balancer[0]"},
      {"same_file_same_machine",
       base + "  [[app.traffic.load_balancer]]\n  name = \"a\"\n  [[app.traffic.load_balancer]]\n"
              "  name = \"b\"\n",
       29, "app[0].traffic.load_balancer[1]", "same load balancer"},
      {"missing_in_entry_and_traffic",
       replaced("  upstream_file = \"/etc/nginx/bluegreen/web.conf\"\n", "") +
           "  [[app.traffic.load_balancer]]\n  name = \"a\"\n  upstream_file = \"/a.conf\"\n"
           "  [[app.traffic.load_balancer]]\n  name = \"b\"\n",
       29, "app[0].traffic.load_balancer[1].upstream_file", "required key is missing"},
      {"wrong_value_in_entry", base + kTwoLoadBalancers + "  upstream_name = \"a b\"\n", 33,
       "app[0].traffic.load_balancer[1].upstream_name", "is not a valid upstream name"},
      {"backend_in_entry", base + "  [[app.traffic.load_balancer]]\n  backend = \"haproxy\"\n", 28,
       "app[0].traffic.load_balancer[0].backend", "uses the backend of [app.traffic]"},
      {"key_of_other_backend", base + "  [[app.traffic.load_balancer]]\n  socket = \"/run/s\"\n",
       28, "app[0].traffic.load_balancer[0].socket", "unknown key"},
      {"bad_name", base + "  [[app.traffic.load_balancer]]\n  name = \"lb 1\"\n", 28,
       "app[0].traffic.load_balancer[0].name", "is not a load balancer name"},
  };
  for (const auto& c : cases) {
    auto result = parse_config(c.text, "t.toml");
    EXPECT_FALSE(result.value) << c.name;
    std::string all;
    bool found = false;
    for (const auto& e : result.errors) {
      all += e.to_string() + "\n";
      found = found || (e.line == c.line && e.key == c.key &&
                        e.message.find(c.message) != std::string::npos);
    }
    EXPECT_TRUE(found) << c.name << ": expected line " << c.line << " key '" << c.key << "' with '"
                       << c.message << "', got:\n"
                       << all;
  }
}

TEST(Config, AWrongDefaultIsReportedOnceWhereItIsWritten) {
  std::string text = kServer + kApp + kTwoLoadBalancers;
  const std::string name = "upstream_name = \"web\"";
  text.replace(text.find(name), name.size(), "upstream_name = \"a b\"");
  auto result = parse_config(text, "t.toml");
  EXPECT_FALSE(result.value);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, 26u);
  EXPECT_EQ(result.errors[0].key, "app[0].traffic.upstream_name");
}

}  // namespace
}  // namespace bluegreen::daemon
