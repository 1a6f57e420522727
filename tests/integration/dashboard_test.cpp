// The dashboard in a real browser: Debian's headless Chromium, driven by
// playwright-core from tests/browser/dashboard.mjs, against the real
// bluegreend with a real sshd, the demo app and nginx (the world). Each test
// runs one scenario of that script and does for it what only the test can do
// (open the gate a deploy step waits at, change nginx by hand) when the
// script asks. Screenshots land in the build folder's screenshots/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "tests/support/file_gate.hpp"
#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::child_process;
using bluegreen::testing::file_gate;
using bluegreen::testing::world;
using bluegreen::testing::world_options;

// Runs `scenario`; `answers` does what the script asks for, by name, in the
// order the script asks. Returns the script's output.
std::string run_scenario(world& w, const std::string& scenario,
                         std::vector<std::pair<std::string, std::function<void()>>> answers = {}) {
  auto shots = std::filesystem::path(BLUEGREEN_BUILD_DIR) / "screenshots";
  std::filesystem::create_directories(shots);
  auto steps = w.root() / "browser-steps";
  std::filesystem::create_directories(steps);
  child_process node({"/usr/bin/env", "node",
                      std::string(BLUEGREEN_SOURCE_DIR) + "/tests/browser/dashboard.mjs", scenario},
                     {"BG_URL=http://127.0.0.1:" + std::to_string(w.api_port()),
                      "BG_TOKEN=" + w.token(), "BG_READ_TOKEN=" + w.create_token("viewer", "read"),
                      "LB_URL=http://127.0.0.1:" + std::to_string(w.lb_port()),
                      "SHOTS=" + shots.string(), "STEPS=" + steps.string()});
  for (auto& [name, act] : answers) {
    if (!node.wait_for_stdout("@@ ask " + name, 120s)) {
      node.wait_exit(5s);
      ADD_FAILURE() << "the scenario never asked for " << name << "\n"
                    << node.stdout_text() << node.stderr_text();
      return node.stdout_text();
    }
    act();
    std::ofstream(steps / (name + ".done")) << "done\n";
  }
  auto status = node.wait_exit(180s);
  EXPECT_EQ(status, 0) << "scenario " << scenario << ":\n"
                       << node.stdout_text() << node.stderr_text();
  // The figures the scenario measured, for the closing note.
  auto out = node.stdout_text();
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("figure: ")) std::cout << line << "\n";
  return out;
}

TEST(Dashboard, SignInDeploySwitchAndRollBackFromTheButtons) {
  world w;
  w.commit_version("2.0.0");
  file_gate hold(w.root() / "deploy-hold");
  run_scenario(w, "buttons", {{"release-deploy", [&] { hold.open(); }}});
  // What the dashboard did is what the daemon recorded, through the dashboard.
  auto ops = w.api("GET", "/api/v1/apps/demo/deployments");
  ASSERT_EQ(ops.status, 200);
  std::map<std::string, std::string> channel_of;
  for (const auto& op : ops.body["operations"])
    channel_of[op["kind"].get<std::string>()] = op["channel"].get<std::string>();
  EXPECT_EQ(channel_of["deploy"], "dashboard");
  EXPECT_EQ(channel_of["switch"], "dashboard");
  EXPECT_EQ(channel_of["rollback"], "dashboard");
  EXPECT_EQ(w.upstream_colour(), "blue");
}

TEST(Dashboard, LockUnlockAndADriftMadeByHandShowOnTheCard) {
  world_options o;
  o.reality_interval = "200ms";
  world w(o);
  run_scenario(w, "lockdrift", {{"drift", [&] { w.route_by_hand(1, "green"); }}});
  EXPECT_EQ(w.api("GET", "/api/v1/apps/demo").body["drifted"], true);
}

TEST(Dashboard, ALogFollowedAcrossADaemonRestartLosesAndRepeatsNoLine) {
  world w;
  w.commit_version("2.0.0");
  file_gate hold(w.root() / "deploy-hold");
  run_scenario(w, "restart", {{"restart", [&] {
                                 // The daemon comes back where the page knows it.
                                 auto port = std::to_string(w.api_port());
                                 w.kill_daemon();
                                 auto config = w.root() / "bluegreen.toml";
                                 std::string s = bluegreen::testing::read_file(config);
                                 auto at = s.find("listen = \"127.0.0.1:0\"");
                                 ASSERT_NE(at, std::string::npos);
                                 s.replace(at, 22, "listen = \"127.0.0.1:" + port + "\"");
                                 std::ofstream(config) << s;
                                 w.start_daemon();
                                 ASSERT_EQ(std::to_string(w.api_port()), port);
                               }}});
}

TEST(Dashboard, ACanaryATaskAndACancelFromTheirButtons) {
  world w;
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  std::unique_ptr<file_gate> hold;
  run_scenario(w, "canary", {{"hold-deploys", [&] {
                                hold = std::make_unique<file_gate>(w.root() / "deploy-hold");
                              }}});
  // The task ran where the dashboard said, and the cancelled deploy left green live.
  std::ifstream migrations(w.host_dir("127.0.0.2") / "migrations");
  std::string line;
  ASSERT_TRUE(std::getline(migrations, line));
  EXPECT_EQ(line, "migrated blue");
  EXPECT_EQ(w.upstream_colour(), "green");
}

TEST(Dashboard, AReadOnlyTokenSeesNoActionsAndThePageFitsAPhone) {
  world w;
  w.deploy("main");
  run_scenario(w, "readonly");
}

TEST(Dashboard, RequestsFromOtherSitesCannotActWithTheSession) {
  world w;
  run_scenario(w, "crosssite");
  EXPECT_TRUE(w.api("GET", "/api/v1/apps/demo").body["locks"]["manual"].is_null());
}

TEST(Dashboard, SixtyAppsShowAndCanBeSearchedAndSorted) {
  world_options o;
  // 59 apps more, routed by a command that always answers blue.
  for (int i = 1; i <= 59; ++i) {
    std::string name = "app" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    o.extra_config +=
        "\n[[app]]\nname = \"" + name +
        "\"\npublic_url = \"http://127.0.0.1:9\"\n"
        "  [app.blue]\n  hosts = [\"deploy@127.0.0.2\"]\n  url = \"http://127.0.0.2:9\"\n"
        "  [app.green]\n  hosts = [\"deploy@127.0.0.3\"]\n  url = \"http://127.0.0.3:9\"\n"
        "  [app.deploy]\n  steps = [\"true\"]\n  resolve = \"git rev-parse {ref}\"\n"
        "  [app.traffic]\n  backend = \"command\"\n  switch_command = \"true\"\n"
        "  current_command = \"echo blue\"\n";
  }
  world w(o);
  run_scenario(w, "sixty");
}

}  // namespace
