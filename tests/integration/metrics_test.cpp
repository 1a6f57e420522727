// GET /metrics end to end: the real bluegreend with sshd, nginx and the demo
// apps, scraped as Prometheus would (with a metrics token, and on the open
// [metrics] listen address), the scrape checked with Debian's promtool; and
// the alert rules docs/operations.md shows, checked and evaluated by
// promtool.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::http_reply;
using bluegreen::testing::http_request;
using bluegreen::testing::read_file;
using bluegreen::testing::run_command;
using bluegreen::testing::temp_dir;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

// One sample of a scrape: its name and labels.
struct sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The samples of a text-format scrape (comments skipped). Label values are
// unescaped.
std::vector<sample> parse_scrape(const std::string& text) {
  std::vector<sample> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    sample s;
    std::size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        std::size_t eq = line.find('=', i);
        std::string name = line.substr(i, eq - i);
        std::string value;
        for (i = eq + 2; line[i] != '"'; ++i) {
          if (line[i] == '\\') {
            ++i;
            value += line[i] == 'n' ? '\n' : line[i];
          } else {
            value += line[i];
          }
        }
        s.labels[name] = value;
        ++i;
        if (line[i] == ',') ++i;
      }
      ++i;
    }
    std::string value = line.substr(i + 1);
    s.value = value == "+Inf" ? INFINITY : std::stod(value);
    out.push_back(std::move(s));
  }
  return out;
}

// The value of the sample named `name` whose labels include `labels`.
std::optional<double> value_of(const std::vector<sample>& scrape, const std::string& name,
                               const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : scrape) {
    if (s.name != name) continue;
    bool all = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) all = false;
    }
    if (all) return s.value;
  }
  return std::nullopt;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// promtool's verdict on `text`, written to a file in `dir`: its exit status
// and what it said.
bluegreen::testing::run_result promtool(const temp_dir& dir, const std::vector<std::string>& args,
                                        const std::string& stdin_file = "") {
  std::string command = "promtool";
  for (const auto& a : args) command += " '" + a + "'";
  if (!stdin_file.empty()) command += " < '" + (dir / stdin_file).string() + "'";
  return run_command({"/bin/sh", "-c", command + " 2>&1"});
}

http_reply get(std::uint16_t port, const std::string& target, const std::string& token = "") {
  auto r = http_request(port, "GET", target, token);
  if (!r) throw std::runtime_error("no answer to GET " + target);
  return *r;
}

TEST(Metrics, AScrapeShowsTheDeployAndSwitchAPrometheusWouldSeeAndPromtoolAcceptsIt) {
  world w(world_options{.extra_config = "[metrics]\nlisten = \"127.0.0.1:0\"\n"});
  std::smatch m;
  std::string log = w.daemon().stderr_text();
  ASSERT_TRUE(std::regex_search(
      log, m, std::regex("serving /metrics without a token on http://127\\.0\\.0\\.1:([0-9]+)")))
      << log;
  auto open_port = static_cast<std::uint16_t>(std::stoi(m[1]));
  std::string scraper = w.create_token("prometheus", "metrics");

  // A metrics token reads /metrics and nothing else.
  auto first = get(w.api_port(), "/metrics", scraper);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  auto before = parse_scrape(first.body);
  EXPECT_EQ(value_of(before, "bluegreend_build_info"), 1);
  EXPECT_EQ(value_of(before, "bluegreend_live_colour", {{"app", "demo"}, {"colour", "blue"}}), 1);
  EXPECT_FALSE(value_of(before, "bluegreend_operations_total", {{"app", "demo"}}));
  for (auto [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/api/v1/apps"},
                                                        {"GET", "/api/v1/apps/demo"},
                                                        {"POST", "/api/v1/apps/demo/deployments"},
                                                        {"GET", "/api/v1/events"},
                                                        {"GET", "/api/v1/no-such-route"},
                                                        {"GET", "/api/v1/session"}}) {
    auto refused = http_request(w.api_port(), method, target, scraper, "{\"ref\": \"main\"}");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403) << method << " " << target << ": " << refused->body;
    EXPECT_EQ(json::parse(refused->body)["error"]["code"], "forbidden") << refused->body;
  }
  auto sign_in =
      http_request(w.api_port(), "POST", "/api/v1/session", "", json{{"token", scraper}}.dump());
  ASSERT_TRUE(sign_in);
  EXPECT_EQ(sign_in->status, 403) << sign_in->body;
  EXPECT_EQ(sign_in->headers.count("set-cookie"), 0u);
  // Without a token: the usual 401; with a read token (or the admin one): allowed.
  EXPECT_EQ(get(w.api_port(), "/metrics").status, 401);
  EXPECT_EQ(get(w.api_port(), "/metrics", w.create_token("watcher", "read")).status, 200);
  EXPECT_EQ(get(w.api_port(), "/metrics", w.token()).status, 200);

  // A release deployed to green and switched to.
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  double switch_began = unix_now();
  auto switched = w.switch_to();
  ASSERT_EQ(switched["state"], "succeeded") << w.log_text(switched["id"]);
  double switch_ended = unix_now();

  auto scraped = get(w.api_port(), "/metrics", scraper);
  ASSERT_EQ(scraped.status, 200);
  auto after = parse_scrape(scraped.body);
  auto ops = [&](const std::string& kind, const std::string& result) {
    return value_of(after, "bluegreend_operations_total",
                    {{"app", "demo"}, {"kind", kind}, {"result", result}});
  };
  EXPECT_EQ(ops("deploy", "succeeded"), 1) << scraped.body;  // ended when switched to
  EXPECT_EQ(ops("switch", "succeeded"), 1) << scraped.body;
  EXPECT_EQ(value_of(after, "bluegreend_operation_duration_seconds_count", {{"kind", "deploy"}}),
            1);
  EXPECT_EQ(value_of(after, "bluegreend_operation_duration_seconds_count", {{"kind", "switch"}}),
            1);
  EXPECT_EQ(value_of(after, "bluegreend_operation_duration_seconds_bucket",
                     {{"kind", "switch"}, {"le", "+Inf"}}),
            1);
  EXPECT_EQ(value_of(after, "bluegreend_switch_duration_seconds_count", {{"app", "demo"}}), 1);
  EXPECT_EQ(value_of(after, "bluegreend_operations_running"), 0);
  EXPECT_EQ(value_of(after, "bluegreend_live_colour", {{"app", "demo"}, {"colour", "green"}}), 1);
  EXPECT_EQ(value_of(after, "bluegreend_live_colour", {{"app", "demo"}, {"colour", "blue"}}), 0);
  EXPECT_EQ(
      value_of(after, "bluegreend_traffic_weight_percent", {{"app", "demo"}, {"colour", "green"}}),
      100);
  EXPECT_EQ(value_of(after, "bluegreend_drifted", {{"app", "demo"}}), 0);
  EXPECT_EQ(value_of(after, "bluegreend_colour_healthy", {{"app", "demo"}, {"colour", "green"}}),
            1);
  auto last_switch = value_of(after, "bluegreend_last_switch_timestamp_seconds", {{"app", "demo"}});
  ASSERT_TRUE(last_switch) << scraped.body;
  // Stored with milliseconds: a second either side covers the rounding.
  EXPECT_GE(*last_switch, switch_began - 1);
  EXPECT_LE(*last_switch, switch_ended + 1);
  auto last_deploy = value_of(after, "bluegreend_last_deploy_timestamp_seconds", {{"app", "demo"}});
  ASSERT_TRUE(last_deploy) << scraped.body;
  EXPECT_LE(*last_deploy, *last_switch);
  EXPECT_GT(*value_of(after, "bluegreend_ssh_connections_total"), 0);
  EXPECT_EQ(
      value_of(after, "bluegreend_ssh_connection_failures_total", {{"reason", "auth_failed"}}), 0);
  EXPECT_EQ(value_of(after, "bluegreend_notifications_sent_total"), 0);
  // HTTP requests by route pattern, never by the path asked for.
  auto requests = [&](const std::vector<sample>& scrape, const std::string& route,
                      const std::string& status) {
    return value_of(scrape, "bluegreend_http_requests_total",
                    {{"route", route}, {"status", status}})
        .value_or(0);
  };
  EXPECT_GE(requests(after, "/api/v1/apps/{app}/deployments", "202"), 1);
  EXPECT_GE(requests(after, "/api/v1/apps/{app}", "403"), 1);
  EXPECT_GE(requests(after, "none", "403"), 1);  // the unknown path
  EXPECT_GT(requests(after, "/metrics", "200"), requests(before, "/metrics", "200"));
  for (const auto& s : after) {
    if (s.labels.count("route")) {
      EXPECT_EQ(s.labels.at("route").find("demo"), std::string::npos) << s.labels.at("route");
    }
  }

  // promtool accepts the real scrape.
  temp_dir dir;
  dir.write("scrape.txt", scraped.body);
  auto checked = promtool(dir, {"check", "metrics"}, "scrape.txt");
  EXPECT_EQ(checked.status, 0) << checked.out << scraped.body;

  // The open listener: /metrics without a token, and nothing else.
  auto open = get(open_port, "/metrics");
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_EQ(open.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(value_of(parse_scrape(open.body), "bluegreend_live_colour",
                     {{"app", "demo"}, {"colour", "green"}}),
            1);
  for (std::string target :
       {"/", "/healthz", "/api/v1/apps", "/api/v1/no-such-route", "/assets/app.js", "/metrics/x"}) {
    auto other = get(open_port, target, w.token());
    EXPECT_EQ(other.status, 404) << target << ": " << other.body;
  }
  auto post = http_request(open_port, "POST", "/api/v1/apps/demo/deployments", w.token(),
                           R"({"ref": "main"})");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 404) << post->body;
  auto again = parse_scrape(get(w.api_port(), "/metrics", scraper).body);
  EXPECT_GT(requests(again, "/metrics", "200"), requests(after, "/metrics", "200"));
  EXPECT_EQ(ops("deploy", "succeeded"), 1);  // nothing counted twice
}

// The rules between the markers of docs/operations.md, as an operator
// copies them.
std::string documented_rules() {
  std::string docs = read_file(std::filesystem::path(BLUEGREEN_SOURCE_DIR) / "docs/operations.md");
  std::string begin =
      "<!-- alert rules: checked by tests/integration/metrics_test.cpp -->\n```yaml\n";
  auto from = docs.find(begin);
  if (from == std::string::npos) return {};
  from += begin.size();
  return docs.substr(from, docs.find("```", from) - from);
}

TEST(Metrics, TheDocumentedAlertRulesAreValidAndFireWhenTheySay) {
  std::string rules = documented_rules();
  ASSERT_FALSE(rules.empty()) << "docs/operations.md has no marked alert rules";
  temp_dir dir;
  dir.write("rules.yml", rules);
  auto checked = promtool(dir, {"check", "rules", (dir / "rules.yml").string()});
  EXPECT_EQ(checked.status, 0) << checked.out;
  // "web" has drifted and was last deployed 15 days before the evaluation
  // starts (time 0), "api" is fine and was deployed 11.6 days before: two
  // hours on, each of web's alerts fires (their `for` has passed), none of
  // api's; half an hour on, the 14-day alert is still pending.
  dir.write("rules_test.yml", R"(rule_files:
  - rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'bluegreend_drifted{app="web"}'
        values: '1x180'
      - series: 'bluegreend_drifted{app="api"}'
        values: '0x180'
      - series: 'bluegreend_last_deploy_timestamp_seconds{app="web"}'
        values: '-1300000x180'
      - series: 'bluegreend_last_deploy_timestamp_seconds{app="api"}'
        values: '-1000000x180'
    alert_rule_test:
      - eval_time: 2h
        alertname: BluegreenAppDrifted
        exp_alerts:
          - exp_labels:
              app: web
              severity: warning
            exp_annotations:
              summary: "web has drifted: bluegreend's record and its load balancer disagree"
      - eval_time: 2h
        alertname: BluegreenAppNotDeployedFor14Days
        exp_alerts:
          - exp_labels:
              app: web
              severity: info
            exp_annotations:
              summary: "web has not been deployed for 14 days"
      - eval_time: 30m
        alertname: BluegreenAppNotDeployedFor14Days
        exp_alerts: []
)");
  auto tested = promtool(dir, {"test", "rules", (dir / "rules_test.yml").string()});
  EXPECT_EQ(tested.status, 0) << tested.out;
}

}  // namespace
