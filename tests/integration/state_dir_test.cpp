// One daemon per state directory, and nothing of a daemon living on in the
// local commands it ran: the real bluegreend binary on the whole test world
// (sshd, nginx, demo apps), with the command backend's operator scripts.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>

#include "tests/support/file_gate.hpp"
#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::child_process;
using bluegreen::testing::eventually;
using bluegreen::testing::file_gate;
using bluegreen::testing::read_file;
using bluegreen::testing::run_command;
using bluegreen::testing::world;
using bluegreen::testing::world_options;

const std::string kBinary = BLUEGREEN_BINARY;

std::filesystem::path config_of(const world& w) { return w.root() / "bluegreen.toml"; }

// Keeps the port of the running daemon for the next start, as a fixed
// `listen` would.
void pin_port(world& w) {
  std::string text = read_file(config_of(w));
  text = std::regex_replace(text, std::regex("listen = \"127\\.0\\.0\\.1:0\""),
                            "listen = \"127.0.0.1:" + std::to_string(w.api_port()) + "\"");
  std::ofstream(config_of(w), std::ios::trunc) << text;
}

// Puts `lines` at the top of one of the world's operator scripts.
void prepend_to_script(world& w, const std::string& script, const std::string& lines) {
  std::string text = read_file(w.root() / script);
  auto body = text.find('\n') + 1;
  std::ofstream(w.root() / script, std::ios::trunc)
      << text.substr(0, body) << lines << text.substr(body);
}

pid_t pid_in(const std::filesystem::path& file) {
  std::string text = read_file(file);
  return text.empty() ? 0 : static_cast<pid_t>(std::stol(text));
}

// Running, and not a zombie waiting for its new parent to reap it.
bool alive(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

// What the descriptors of process `pid` point at.
std::vector<std::string> open_files_of(pid_t pid) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& fd :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    auto target = std::filesystem::read_symlink(fd.path(), link_ec);
    out.push_back(fd.path().filename().string() + " -> " + target.string());
  }
  return out;
}

// Runs `cleanup` when the test ends, also after a failed assertion, so that
// nothing the test started outlives it.
struct at_end {
  std::function<void()> cleanup;
  ~at_end() {
    try {
      cleanup();
    } catch (const std::exception&) {
    }
  }
};


TEST(StateDir, ASecondDaemonOnTheSameStateDirRefusesAndChangesNothing) {
  world w;
  w.commit_version("2.0.0");
  auto slow = w.host_dir(w.green_hosts()[0]) / "slow-deploy";
  std::ofstream{slow};
  auto r = w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})");
  ASSERT_EQ(r.status, 202) << r.body.dump();
  std::int64_t id = r.body["operation"]["id"];
  // Stops the sleeping step this test started.
  at_end cancel{[&] {
    std::filesystem::remove(slow);
    if (w.api("POST", "/api/v1/deployments/" + std::to_string(id) + "/cancel").status == 202)
      w.follow(id);
  }};
  ASSERT_TRUE(
      eventually([&] { return w.log_text(id).find("sleeping on") != std::string::npos; }, 60s));

  // The same configuration (listen port 0: it would get a port of its own).
  child_process second({kBinary, "run", "--config", config_of(w).string()});
  auto status = second.wait_exit(30s);
  ASSERT_TRUE(status) << "a second daemon serves the same state:\n" << second.stderr_text();
  EXPECT_EQ(*status, 3);
  EXPECT_NE(second.stderr_text().find("another bluegreend (PID " +
                                      std::to_string(w.daemon().pid()) + ") holds the lock file " +
                                      (w.root() / "state/bluegreend.lock").string()),
            std::string::npos)
      << second.stderr_text();

  // The first daemon's deploy still runs and holds the app's lock.
  auto op = w.api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"];
  EXPECT_EQ(op["state"], "running") << op.dump();
  EXPECT_FALSE(w.api("GET", "/api/v1/apps/demo").body["locks"]["operation"].is_null());
  EXPECT_EQ(w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})").status, 409);

  // Token commands work beside the running daemon.
  auto created = run_command(
      {kBinary, "token", "create", "beside", "--scope", "read", "--config", config_of(w).string()});
  EXPECT_EQ(created.status, 0) << created.err;
  auto listed = run_command({kBinary, "token", "list", "--config", config_of(w).string()});
  EXPECT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.out.find("beside"), std::string::npos);
  auto revoked =
      run_command({kBinary, "token", "revoke", "beside", "--config", config_of(w).string()});
  EXPECT_EQ(revoked.status, 0) << revoked.err;
}

TEST(LocalCommands, WhatTheyLeaveRunningHoldsNoSocketOfTheDaemon) {
  world w(world_options{.command_backend = true});
  pin_port(w);
  std::uint16_t port = w.api_port();
  // A switch script that starts a background process and returns, as one
  // that (re)starts a local service would. A copy of sleep under the test's
  // directory, so nothing else on the machine is mistaken for it.
  std::filesystem::copy_file("/usr/bin/sleep", w.root() / "linger");
  std::string root = w.root().string();
  prepend_to_script(
      w, "route.sh",
      root + "/linger 600 </dev/null >/dev/null 2>&1 &\necho $! > " + root + "/linger.pid\n");
  auto switched = w.switch_to(R"({"force": true})");
  ASSERT_EQ(switched["state"], "succeeded") << switched.dump();
  pid_t linger = pid_in(w.root() / "linger.pid");
  ASSERT_GT(linger, 0);
  at_end end_linger{[&] { kill(linger, SIGKILL); }};
  ASSERT_TRUE(alive(linger));

  auto files = open_files_of(linger);
  for (const auto& f : files) {
    EXPECT_EQ(f.find("socket:"), std::string::npos) << f;
    EXPECT_EQ(f.find(root + "/state"), std::string::npos) << f;
  }

  // Stopped, the daemon starts again on its port while that process lives.
  w.daemon().signal(SIGTERM);
  auto status = w.daemon().wait_exit(30s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0);
  EXPECT_NO_THROW(w.start_daemon());
  EXPECT_EQ(w.api_port(), port);
  EXPECT_TRUE(alive(linger));  // what it left running was not a leftover of a crash
}

// The daemon killed while its switch script runs and restarted at once, as
// systemd would: the restart gets its port, and ends the orphaned script
// before recovery looks at the routing, so the script cannot move traffic
// afterwards.
TEST(LocalCommands, AfterAKillTheRestartEndsTheSwitchScriptItLeftBeforeRecovery) {
  world w(world_options{.command_backend = true});
  pin_port(w);
  std::uint16_t port = w.api_port();
  std::string root = w.root().string();
  // The first run of the script (the switch) holds until the test opens
  // the gate; later runs (recovery's re-apply) go straight through.
  file_gate go(w.root() / "go");
  prepend_to_script(w, "route.sh",
                    "if [ -e " + root + "/hold ]; then\n  rm " + root + "/hold\n  echo $$ > " +
                        root + "/route.pid\n  " + go.wait_command() + "\nfi\n");
  std::ofstream(w.root() / "hold");
  auto r = w.api("POST", "/api/v1/apps/demo/switch", R"({"force": true})");
  ASSERT_EQ(r.status, 202) << r.body.dump();
  std::int64_t id = r.body["operation"]["id"];
  ASSERT_TRUE(eventually([&] { return pid_in(w.root() / "route.pid") > 0; }, 60s));
  pid_t script = pid_in(w.root() / "route.pid");
  ASSERT_TRUE(alive(script));
  at_end end_script{[&] {
    pid_t session = alive(script) ? getsid(script) : -1;
    if (session > 1) kill(-session, SIGKILL);
  }};

  w.kill_daemon();
  ASSERT_NO_THROW(w.start_daemon());
  EXPECT_EQ(w.api_port(), port);
  std::smatch ended;
  std::string log = w.daemon().stderr_text();
  EXPECT_TRUE(std::regex_search(
      log, ended,
      std::regex("ended a local command left running by the previous run: session [0-9]+ "
                 "\\([0-9]+ process\\(es\\)\\): " +
                 root + "/route\\.sh 'green'")))
      << log;
  EXPECT_FALSE(alive(script));
  // Released now, the script would route to green had it survived.
  go.open();
  EXPECT_EQ(w.upstream_colour(), "blue");
  auto op = w.api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"];
  EXPECT_EQ(op["state"], "interrupted") << op.dump();
  EXPECT_EQ(w.api("GET", "/api/v1/apps/demo").body["live"], "blue");
}

}  // namespace
