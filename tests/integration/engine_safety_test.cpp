// What keeps one app's state whole when things go wrong at the same time:
// one traffic change per app whoever starts it, rollbacks that other apps'
// deploys cannot starve, nothing run anywhere unless every host can be
// reached, and nothing of an interrupted operation left running on its
// hosts. The real bluegreend, sshd, nginx and demo apps.
#include <dirent.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/file_gate.hpp"
#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::eventually;
using bluegreen::testing::file_gate;
using bluegreen::testing::read_file;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

std::string log_text(world& w, std::int64_t id) { return w.log_text(id); }

json operation(world& w, std::int64_t id) {
  return w.api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"];
}

std::string state_of(world& w, std::int64_t id) {
  auto op = operation(w, id);
  return op.is_null() ? "" : op["state"].get<std::string>();
}

std::string recorded_live(world& w) {
  auto app = w.api("GET", "/api/v1/apps/demo");
  return app.body["live"].is_null() ? "none" : app.body["live"].get<std::string>();
}

// The PIDs of processes whose command line contains `needle` and whose
// environment has BLUEGREEN_OPERATION=<prefix>...
std::vector<std::string> marked_processes(const std::string& needle, const std::string& prefix) {
  std::vector<std::string> found;
  DIR* proc = opendir("/proc");
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    if (bluegreen::testing::command_line_of(e->d_name).find(needle) == std::string::npos) continue;
    std::string env = bluegreen::testing::proc_file(e->d_name, "environ");
    if (env.find("BLUEGREEN_OPERATION=" + prefix) != std::string::npos) found.push_back(e->d_name);
  }
  closedir(proc);
  return found;
}

TEST(EngineSafety, TheWatchSwitchingBackAndAManualSwitchNeverOverlap) {
  world_options o;
  o.watch = "60s";
  o.command_backend = true;
  world w(o);
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  auto switched = w.switch_to();
  ASSERT_EQ(switched["state"], "succeeded") << log_text(w, switched["id"]);
  std::int64_t watched = switched["id"];
  std::filesystem::remove(w.root() / "route-entered");

  // The switch back will wait inside the operator's script while the test
  // asks for a switch and a rollback of its own.
  file_gate hold(w.root() / "route-hold");
  for (const auto& h : w.green_hosts()) std::ofstream(w.host_dir(h) / "unhealthy");
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(w.root() / "route-entered"); }, 60s))
      << log_text(w, watched);
  auto manual = w.api("POST", "/api/v1/apps/demo/switch", R"({"to": "green", "force": true})");
  EXPECT_EQ(manual.status, 409) << manual.body.dump();
  EXPECT_EQ(manual.body["error"]["code"], "operation_running") << manual.body.dump();
  auto rollback = w.api("POST", "/api/v1/apps/demo/rollback");
  EXPECT_EQ(rollback.status, 409) << rollback.body.dump();
  hold.open();

  ASSERT_TRUE(eventually([&] { return state_of(w, watched) == "rolled_back"; }, 60s))
      << log_text(w, watched);
  EXPECT_FALSE(std::filesystem::exists(w.root() / "route-overlap"))
      << read_file(w.root() / "route-overlap");
  EXPECT_EQ(read_file(w.root() / "route-entered"), "blue\n");
  EXPECT_EQ(w.upstream_colour(), "blue");
  EXPECT_EQ(recorded_live(w), "blue");

  // The switch back is in the history as an operation of its own.
  auto history = w.api("GET", "/api/v1/apps/demo/deployments").body["operations"];
  ASSERT_FALSE(history.empty());
  auto newest = history[0];
  EXPECT_EQ(newest["kind"], "rollback") << history.dump();
  EXPECT_EQ(newest["actor"], "watch");
  EXPECT_TRUE(eventually([&] { return state_of(w, newest["id"]) == "succeeded"; }));
  EXPECT_NE(operation(w, watched)["error"].get<std::string>().find(
                "by operation #" + std::to_string(newest["id"].get<std::int64_t>())),
            std::string::npos);
}

TEST(EngineSafety, ARollbackCompletesWhileEverySshWorkerIsBusyWithAnotherApp) {
  world_options o;
  o.ssh_workers = 2;
  world w(o);
  // A second app on the same hosts whose task holds both SSH workers.
  std::string other =
      "\n[[app]]\nname = \"other\"\npublic_url = \"http://127.0.0.1:9\"\n"
      "  [app.blue]\n  hosts = [\"" +
      w.ssh_host("127.0.0.2") +
      "\"]\n"
      "  url = \"http://127.0.0.2:9\"\n  identity = \"other-blue\"\n"
      "  [app.green]\n  hosts = [\"" +
      w.ssh_host("127.0.0.3") + "\", \"" + w.ssh_host("127.0.0.4") + "\", \"" +
      w.ssh_host("127.0.0.5") +
      "\"]\n"
      "  url = \"http://127.0.0.3:9\"\n  identity = \"other-green\"\n"
      "  [app.deploy]\n  steps = [\"true\"]\n  resolve = \"echo {ref}\"\n"
      "  [app.traffic]\n  backend = \"command\"\n"
      "  switch_command = \"true\"\n  current_command = \"echo blue\"\n"
      "  [app.tasks]\n  hold = { command = \"echo holding " +
      w.root().string() + " on {host}; exec sleep 600\", on = \"green\", hosts = \"all\" }\n";
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  ASSERT_EQ(w.switch_to()["state"], "succeeded");

  w.kill_daemon();
  {
    std::ofstream config(w.root() / "bluegreen.toml", std::ios::app);
    config << other;
  }
  w.start_daemon();
  auto task = w.api("POST", "/api/v1/apps/other/tasks/hold");
  ASSERT_EQ(task.status, 202) << task.body.dump();
  std::int64_t task_id = task.body["operation"]["id"];
  ASSERT_TRUE(eventually(
      [&] {
        std::string log = log_text(w, task_id);
        size_t n = 0;
        for (size_t p = log.find("holding"); p != std::string::npos; p = log.find("holding", p + 1))
          ++n;
        return n >= 2;
      },
      60s))
      << log_text(w, task_id);

  auto rolled = w.api("POST", "/api/v1/apps/demo/rollback");
  ASSERT_EQ(rolled.status, 202) << rolled.body.dump();
  auto done = w.follow(rolled.body["operation"]["id"], nullptr, 60s);
  EXPECT_EQ(done["state"], "succeeded") << done.dump();
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  EXPECT_EQ(state_of(w, task_id), "running");

  auto cancelled = w.api("POST", "/api/v1/deployments/" + std::to_string(task_id) + "/cancel");
  EXPECT_EQ(cancelled.status, 202) << cancelled.body.dump();
  EXPECT_TRUE(eventually([&] { return state_of(w, task_id) == "cancelled"; }, 60s));
}

// The daemon's known_hosts forgets, or learns again, the key of `address`.
void forget_host_key(world& w, const std::string& address) {
  std::string known = read_file(w.known_hosts());
  std::string line = w.known_hosts_line(address) + "\n";
  ASSERT_NE(known.find(line), std::string::npos);
  known.erase(known.find(line), line.size());
  std::ofstream(w.known_hosts(), std::ios::trunc) << known;
}

void learn_host_key(world& w, const std::string& address) {
  std::ofstream(w.known_hosts(), std::ios::app) << w.known_hosts_line(address) << "\n";
}

TEST(EngineSafety, AnUnknownHostKeyOnOneHostMeansNothingRunsOnAny) {
  world w;
  std::string sha = w.commit_version("2.0.0");
  ASSERT_NO_FATAL_FAILURE(forget_host_key(w, "127.0.0.4"));

  auto done = w.deploy("main");
  EXPECT_EQ(done["state"], "failed");
  EXPECT_EQ(done["error_code"], "hosts_unreachable") << done.dump();
  std::string error = done["error"];
  EXPECT_NE(error.find("host_key_unknown"), std::string::npos) << error;
  EXPECT_NE(error.find("127.0.0.4"), std::string::npos) << error;
  EXPECT_NE(error.find("ssh-keyscan"), std::string::npos) << error;
  EXPECT_NE(error.find("nothing was run"), std::string::npos) << error;
  EXPECT_EQ(error.find("is it a branch"), std::string::npos) << error;
  // No step ran on the hosts that could be reached.
  std::string log = log_text(w, done["id"]);
  EXPECT_EQ(log.find("now at"), std::string::npos) << log;
  EXPECT_EQ(log.find("resolving"), std::string::npos) << log;
  EXPECT_EQ(read_file(w.host_dir("127.0.0.3") / "app/VERSION"), "1.0.0\n");
  EXPECT_EQ(w.upstream_colour(), "blue");

  // The first host (where the ref is resolved) unknown: the host is blamed,
  // not the ref.
  learn_host_key(w, "127.0.0.4");
  ASSERT_NO_FATAL_FAILURE(forget_host_key(w, "127.0.0.3"));
  auto again = w.deploy("main");
  EXPECT_EQ(again["state"], "failed");
  std::string error2 = again["error"];
  EXPECT_NE(error2.find("host_key_unknown"), std::string::npos) << error2;
  EXPECT_NE(error2.find("127.0.0.3"), std::string::npos) << error2;
  EXPECT_EQ(error2.find("is it a branch"), std::string::npos) << error2;

  // Every key known again: the deploy runs.
  learn_host_key(w, "127.0.0.3");
  auto fine = w.deploy("main");
  EXPECT_EQ(fine["state"], "ready") << fine.dump();
  EXPECT_EQ(fine["sha"], sha);
}

TEST(EngineSafety, AfterAKillTheInterruptedDeploysRemoteStepsAreStopped) {
  world w;
  w.commit_version("2.0.0");
  for (const auto& h : w.green_hosts()) std::ofstream(w.host_dir(h) / "slow-deploy");
  auto r = w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})");
  ASSERT_EQ(r.status, 202);
  std::int64_t id = r.body["operation"]["id"];
  std::string needle = w.root().string() + "/hosts/";
  std::string prefix = "op" + std::to_string(id) + "-";
  // The slow step runs on all three green hosts.
  ASSERT_TRUE(eventually(
      [&] {
        std::string log = log_text(w, id);
        size_t n = 0;
        for (size_t p = log.find("sleeping on"); p != std::string::npos;
             p = log.find("sleeping on", p + 1))
          ++n;
        return n >= 3 && marked_processes(needle, prefix).size() >= 3;
      },
      60s))
      << log_text(w, id);

  w.kill_daemon();
  // Killing the daemon does not end what runs on the hosts...
  EXPECT_GE(marked_processes(needle, prefix).size(), 3u);
  for (const auto& h : w.green_hosts()) std::filesystem::remove(w.host_dir(h) / "slow-deploy");
  // Meanwhile a host leaves the colour in the configuration: what the
  // operation started there is still found.
  std::string config = read_file(w.root() / "bluegreen.toml");
  std::string gone = ", \"" + w.ssh_host("127.0.0.5") + "\"";
  ASSERT_NE(config.find(gone), std::string::npos) << config;
  config.erase(config.find(gone), gone.size());
  std::ofstream(w.root() / "bluegreen.toml", std::ios::trunc) << config;
  w.start_daemon();
  // ...the next start does.
  EXPECT_TRUE(eventually([&] { return marked_processes(needle, prefix).empty(); }, 60s));
  EXPECT_EQ(state_of(w, id), "interrupted");
  auto again = w.deploy("main");
  EXPECT_EQ(again["state"], "ready") << again.dump();
}

TEST(EngineSafety, AWatchThatFindsTheAppBusySwitchesBackOnceItIsFree) {
  world_options o;
  o.watch = "60s";
  // A task of the demo app that holds it until cancelled.
  o.extra_config =
      "  hold = { command = \"echo holding; exec sleep 600\", on = \"idle\", "
      "hosts = \"one\" }\n";
  world w(o);
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  auto switched = w.switch_to();
  ASSERT_EQ(switched["state"], "succeeded") << log_text(w, switched["id"]);
  std::int64_t watched = switched["id"];

  auto task = w.api("POST", "/api/v1/apps/demo/tasks/hold");
  ASSERT_EQ(task.status, 202) << task.body.dump();
  std::int64_t task_id = task.body["operation"]["id"];
  ASSERT_TRUE(
      eventually([&] { return log_text(w, task_id).find("holding") != std::string::npos; }, 60s));
  for (const auto& h : w.green_hosts()) std::ofstream(w.host_dir(h) / "unhealthy");
  ASSERT_TRUE(eventually(
      [&] { return log_text(w, watched).find("cannot switch back yet") != std::string::npos; },
      60s))
      << log_text(w, watched);
  EXPECT_EQ(w.upstream_colour(), "green");

  // The task ends: the watch, still watching, switches back.
  ASSERT_EQ(w.api("POST", "/api/v1/deployments/" + std::to_string(task_id) + "/cancel").status,
            202);
  EXPECT_TRUE(eventually([&] { return state_of(w, watched) == "rolled_back"; }, 60s))
      << log_text(w, watched);
  EXPECT_TRUE(eventually([&] { return recorded_live(w) == "blue"; }, 60s));
  EXPECT_EQ(w.upstream_colour(), "blue");
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

TEST(EngineSafety, ADeployThatRanNothingKeepsTheRollbackTarget) {
  world w;
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  ASSERT_EQ(w.switch_to()["state"], "succeeded");
  // Blue (idle now, the rollback target) cannot be reached: a deploy to it
  // runs nothing, so blue still runs what it served.
  ASSERT_NO_FATAL_FAILURE(forget_host_key(w, "127.0.0.2"));
  auto failed = w.deploy("main");
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_NE(failed["error"].get<std::string>().find("host_key_unknown"), std::string::npos)
      << failed.dump();

  auto rolled = w.rollback();
  EXPECT_EQ(rolled["state"], "succeeded") << rolled.dump();
  EXPECT_EQ(w.through_lb("/version"), "1.0.0");
  EXPECT_EQ(recorded_live(w), "blue");
}

}  // namespace
