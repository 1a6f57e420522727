// The bluegreend binary starting with many apps whose load balancer is slow
// to answer: it listens at once, reconciles the apps in the background, and
// refuses traffic operations on an app until its recovery has ended.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/support/file_gate.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::child_process;
using bluegreen::testing::eventually;
using bluegreen::testing::file_gate;
using bluegreen::testing::http_request;
using bluegreen::testing::run_command;
using bluegreen::testing::temp_dir;
using nlohmann::json;

const std::string kBinary = BLUEGREEN_BINARY;
constexpr int kApps = 60;

std::string app_name(int i) {
  std::string n = std::to_string(i);
  return "app" + std::string(2 - std::min<size_t>(2, n.size()), '0') + n;
}

// An app routed by the command backend's scripts in `dir`.
std::string app_config(const std::string& name, const std::filesystem::path& dir,
                       const std::string& current_command) {
  return "\n[[app]]\nname = \"" + name +
         "\"\npublic_url = \"http://127.0.0.1:9\"\n"
         "  [app.blue]\n  hosts = [\"deploy@127.0.0.1\"]\n  url = \"http://127.0.0.1:9\"\n"
         "  [app.green]\n  hosts = [\"deploy@127.0.0.2\"]\n  url = \"http://127.0.0.2:9\"\n"
         "  [app.deploy]\n  steps = [\"true\"]\n  resolve = \"git rev-parse {ref}\"\n"
         "  [app.promote]\n  watch = \"0s\"\n"
         "  [app.tasks]\n  migrate = { command = \"true\", on = \"blue\" }\n"
         "  [app.traffic]\n  backend = \"command\"\n  switch_command = \"" +
         (dir / "route.sh").string() + " {app} {colour}\"\n  current_command = \"" +
         current_command + "\"\n";
}

// `extra` apps after the kApps gated ones, and one whose load balancer
// cannot be read.
std::string config_text(const std::filesystem::path& dir, const std::string& extra = "") {
  std::string text = "[server]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"" +
                     (dir / "state").string() + "\"\n[ssh]\nuse_agent = true\n";
  for (int i = 1; i <= kApps; ++i)
    text += app_config(app_name(i), dir, (dir / "current.sh").string() + " {app}");
  text += app_config("unreadable", dir, "echo nonsense");
  return text + extra;
}

std::uint16_t port_from(const std::string& line) {
  std::smatch m;
  if (!std::regex_search(line, m, std::regex("http://127\\.0\\.0\\.1:([0-9]+)"))) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

struct reply {
  int status = 0;
  json body;
  std::string retry_after;
};

reply call(std::uint16_t port, const std::string& token, const std::string& method,
           const std::string& target, const std::string& body = "") {
  auto r = http_request(port, method, target, token, body);
  if (!r) return {};
  reply out;
  out.status = r->status;
  out.body = json::parse(r->body, nullptr, false);
  if (auto it = r->headers.find("retry-after"); it != r->headers.end())
    out.retry_after = it->second;
  return out;
}

bool ended_as(std::uint16_t port, const std::string& token, const json& id,
              const std::string& state) {
  return eventually(
      [&] {
        auto op = call(port, token, "GET", "/api/v1/deployments/" + std::to_string(id.get<int>()));
        return op.body["operation"]["state"] == state;
      },
      60s);
}

// current_command holds until the test opens the gate; the routing of
// each app is a file the switch writes.
void write_scripts(const temp_dir& dir) {
  std::filesystem::create_directories(dir / "routes");
  std::string d = dir.path().string();
  dir.write("current.sh", "#!/bin/sh\ntouch " + d + "/started.\"$1\"\nflock -s " + d +
                              "/gate true\ncat " + d + "/routes/\"$1\" 2>/dev/null || echo blue\n");
  dir.write("route.sh", "#!/bin/sh\necho \"$2\" > " + d + "/routes/\"$1\"\n");
  std::filesystem::permissions(dir / "current.sh", std::filesystem::perms::owner_all);
  std::filesystem::permissions(dir / "route.sh", std::filesystem::perms::owner_all);
}

TEST(BackgroundRecovery, ListensAtOnceAndRefusesOperationsOnAppsUntilTheyAreRecovered) {
  temp_dir dir;
  write_scripts(dir);
  auto config = dir.write("bluegreen.toml", config_text(dir.path()));
  auto made = run_command(
      {kBinary, "token", "create", "ops", "--scope", "deploy", "--config", config.string()});
  ASSERT_EQ(made.status, 0) << made.err;
  std::string token = made.out.substr(0, made.out.find('\n'));
  file_gate gate(dir / "gate");

  child_process daemon({kBinary, "run", "--config", config});
  auto line = daemon.wait_for_stderr("listening on", 20s);
  ASSERT_TRUE(line) << daemon.stderr_text();
  std::uint16_t port = port_from(*line);
  ASSERT_NE(port, 0);

  // Serving while every gated app waits for its load balancer.
  auto health = http_request(port, "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto apps = call(port, token, "GET", "/api/v1/apps");
  ASSERT_EQ(apps.status, 200);
  int recovering = 0;
  for (const auto& a : apps.body["apps"]) recovering += a["recovering"] == true ? 1 : 0;
  EXPECT_EQ(recovering, kApps + 1) << apps.body.dump();  // and the unreadable one, queued
  EXPECT_EQ(call(port, token, "GET", "/api/v1/apps/app01").body["recovering"], true);

  for (std::string op : {"switch", "rollback", "deployments", "tasks/migrate"}) {
    auto refused = call(port, token, "POST", "/api/v1/apps/app07/" + op,
                        op == "deployments" ? R"({"ref": "main"})"
                        : op == "switch"    ? R"({"force": true})"
                                            : "{}");
    EXPECT_EQ(refused.status, 503) << op << ": " << refused.body.dump();
    EXPECT_EQ(refused.body["error"]["code"], "recovering") << refused.body.dump();
    EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("try again"),
              std::string::npos);
    EXPECT_EQ(refused.retry_after, "5");
  }
  // The release freeze is only recorded, so it works at once.
  EXPECT_EQ(call(port, token, "POST", "/api/v1/apps/app07/lock", R"({"reason": "freeze"})").status,
            201);
  EXPECT_EQ(call(port, token, "DELETE", "/api/v1/apps/app07/lock").status, 200);

  // An app added by a reload has nothing to recover.
  dir.write("bluegreen.toml",
            config_text(dir.path(), app_config("fresh", dir.path(), "echo green")));
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_for_stderr("configuration reloaded", 20s)) << daemon.stderr_text();
  EXPECT_EQ(call(port, token, "GET", "/api/v1/apps/fresh").body["recovering"], false);
  EXPECT_EQ(call(port, token, "GET", "/api/v1/apps/app07").body["recovering"], true)
      << daemon.stderr_text();

  gate.open();
  auto finished = daemon.wait_for_stderr("recovery finished", 60s);
  ASSERT_TRUE(finished) << daemon.stderr_text();
  EXPECT_NE(finished->find(std::to_string(kApps) + " app(s) reconciled"), std::string::npos)
      << *finished;
  EXPECT_NE(finished->find("1 could not be read"), std::string::npos) << *finished;
  apps = call(port, token, "GET", "/api/v1/apps");
  for (const auto& a : apps.body["apps"]) {
    EXPECT_EQ(a["recovering"], false) << a.dump();
    if (a["name"] != "unreadable" && a["name"] != "fresh") {
      EXPECT_EQ(a["live"], "blue") << a.dump();
    }
  }

  auto switched = call(port, token, "POST", "/api/v1/apps/app07/switch", R"({"force": true})");
  ASSERT_EQ(switched.status, 202) << switched.body.dump();
  EXPECT_TRUE(ended_as(port, token, switched.body["operation"]["id"], "succeeded"));
  EXPECT_EQ(bluegreen::testing::read_file(dir / "routes/app07"), "green\n");
  auto rolled = call(port, token, "POST", "/api/v1/apps/app07/rollback");
  ASSERT_EQ(rolled.status, 202) << rolled.body.dump();
  EXPECT_TRUE(ended_as(port, token, rolled.body["operation"]["id"], "succeeded"));
  EXPECT_EQ(bluegreen::testing::read_file(dir / "routes/app07"), "blue\n");

  // A load balancer that could not be read is not "recovering" for ever:
  // its operations find out for themselves, as before.
  auto unknown = call(port, token, "POST", "/api/v1/apps/unreadable/switch", "{}");
  EXPECT_EQ(unknown.status, 409) << unknown.body.dump();
  EXPECT_EQ(unknown.body["error"]["code"], "live_unknown") << unknown.body.dump();
}

// A stop while load balancers do not answer is not held up by them: what
// recovery waits for is abandoned, and the next start reconciles those apps.
TEST(BackgroundRecovery, AStopDuringRecoveryDoesNotWaitForTheLoadBalancers) {
  temp_dir dir;
  write_scripts(dir);
  // As many apps as there are traffic workers: every current_command runs.
  constexpr int kRunning = 4;
  std::string text = "[server]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"" +
                     (dir / "state").string() + "\"\n[ssh]\nuse_agent = true\n";
  for (int i = 1; i <= kRunning; ++i)
    text += app_config(app_name(i), dir.path(), (dir / "current.sh").string() + " {app}");
  auto config = dir.write("bluegreen.toml", text);
  file_gate gate(dir / "gate");
  child_process daemon({kBinary, "run", "--config", config});
  auto line = daemon.wait_for_stderr("listening on", 20s);
  ASSERT_TRUE(line) << daemon.stderr_text();
  // Answered: the event loop runs, and with it the signal handling.
  auto health = http_request(port_from(*line), "GET", "/healthz");
  ASSERT_TRUE(health && health->status == 200) << daemon.stderr_text();
  ASSERT_TRUE(eventually([&] {
    for (int i = 1; i <= kRunning; ++i)
      if (!std::filesystem::exists(dir / ("started." + app_name(i)))) return false;
    return true;
  })) << daemon.stderr_text();
  daemon.signal(SIGTERM);
  auto status = daemon.wait_exit(20s);
  ASSERT_TRUE(status) << "still waiting for its load balancers: " << daemon.stderr_text();
  EXPECT_EQ(*status, 0) << daemon.stderr_text();
  EXPECT_NE(daemon.stderr_text().find("recovery stopped: bluegreend is stopping; " +
                                      std::to_string(kRunning) + " of " + std::to_string(kRunning) +
                                      " app(s) are reconciled at the next start"),
            std::string::npos)
      << daemon.stderr_text();
}

}  // namespace
