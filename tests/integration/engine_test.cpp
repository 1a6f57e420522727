// The deploy engine end to end: the real bluegreend binary, a real sshd
// serving four "hosts", real demo app processes, and a real nginx.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "tests/support/file_gate.hpp"
#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::eventually;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

// True while a process of this test's world runs `command`: other tests
// running at the same time have their own `sleep 600`.
bool process_running(const world& w, const std::string& command) {
  return !w.marker().processes(command).empty();
}

// A `sleep 600` that is not this test's, as another test running at the
// same time has: this test must neither count it nor end it.
std::unique_ptr<bluegreen::testing::child_process> someone_elses_sleep() {
  return std::make_unique<bluegreen::testing::child_process>(
      std::vector<std::string>{"/bin/bash", "-c", "exec -a sleep sleep 600"});
}

std::string log_text(world& w, std::int64_t id) { return w.log_text(id); }

// Operation `id` ended with `code`, as GET /api/v1/deployments/{id} and the
// event stream's operation.finished both say.
void expect_error_code(world& w, std::int64_t id, const std::string& code) {
  auto got = w.api("GET", "/api/v1/deployments/" + std::to_string(id));
  EXPECT_EQ(got.body["operation"]["error_code"], code) << got.body.dump();
  auto finished = w.finished_event(id);
  EXPECT_EQ(finished["operation"]["error_code"], code) << finished.dump();
}

std::string recorded_live(world& w) {
  auto app = w.api("GET", "/api/v1/apps/demo");
  return app.body["live"].is_null() ? "none" : app.body["live"].get<std::string>();
}

// Starts a deploy whose last step sleeps on every green host, and waits
// until it does.
void start_slow_deploy(world& w, std::int64_t& id) {
  for (const auto& h : w.green_hosts()) std::ofstream(w.host_dir(h) / "slow-deploy");
  auto r = w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})");
  ASSERT_EQ(r.status, 202);
  id = r.body["operation"]["id"];
  ASSERT_TRUE(
      eventually([&] { return log_text(w, id).find("sleeping on") != std::string::npos; }, 60s));
}

TEST(Engine, ManualDeployThenSwitchThenRollback) {
  world w;
  EXPECT_EQ(w.through_lb("/version"), "1.0.0");
  std::string sha = w.commit_version("2.0.0");

  std::vector<json> lines;
  auto r = w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})");
  ASSERT_EQ(r.status, 202) << r.body.dump();
  EXPECT_EQ(r.body["operation"]["kind"], "deploy");
  std::int64_t id = r.body["operation"]["id"];
  auto deployed = w.follow(id, [&](const json& l) { lines.push_back(l); });
  EXPECT_EQ(deployed["state"], "ready") << log_text(w, id);
  EXPECT_EQ(deployed["colour"], "green");
  EXPECT_EQ(deployed["sha"], sha);
  // The log came line by line, each remote line tagged with its host.
  std::set<std::string> hosts;
  for (const auto& l : lines)
    if (!l["host"].is_null()) hosts.insert(l["host"]);
  EXPECT_EQ(hosts.size(), 3u) << log_text(w, id);
  // Nothing switched yet: users still get 1.0.0 from blue.
  EXPECT_EQ(w.through_lb("/version"), "1.0.0");
  EXPECT_EQ(w.upstream_colour(), "blue");

  auto switched = w.switch_to();
  EXPECT_EQ(switched["state"], "succeeded") << log_text(w, switched["id"]);
  EXPECT_EQ(w.through_lb("/version"), "2.0.0") << log_text(w, id);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production")
      << log_text(w, switched["id"]) << bluegreen::testing::read_file(w.upstream_file());
  EXPECT_EQ(recorded_live(w), "green");
  EXPECT_EQ(w.api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"]["state"],
            "succeeded");

  auto rolled = w.rollback();
  EXPECT_EQ(rolled["state"], "succeeded") << rolled.dump();
  EXPECT_EQ(w.through_lb("/version"), "1.0.0");
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  EXPECT_EQ(recorded_live(w), "blue");
  EXPECT_EQ(w.upstream_colour(), "blue");

  auto app = w.api("GET", "/api/v1/apps/demo").body;
  EXPECT_EQ(app["green"]["sha"], sha);
  EXPECT_EQ(app["green"]["ref"], "main");
  EXPECT_EQ(app["green"]["deployed_by"], "tester");
  EXPECT_TRUE(app["green"]["verified"].get<bool>());
}

// Release 2.0.0 deployed to green, ready for a switch.
void make_green_ready(world& w) {
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
}

// The local commands waiting in the state directory (each recorded under
// its PID).
std::vector<std::string> waiting_shells(world& w) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(w.root() / "state" / "local-commands"))
    names.push_back(e.path().filename().string());
  return names;
}

// A switch to green refused (green holds no verified release yet) after
// the look at what serves, during which the shell of nginx's test and
// reload was started; then reload.sh notes the PID of the shell that runs
// it in the returned file.
std::filesystem::path refuse_a_switch_then_note_reloads(world& w) {
  auto refused = w.api("POST", "/api/v1/apps/demo/switch", R"({"to": "green"})");
  EXPECT_EQ(refused.status, 409) << refused.body.dump();
  EXPECT_EQ(refused.body["error"]["code"], "not_verified");
  std::string reload = bluegreen::testing::read_file(w.root() / "reload.sh");
  auto noted = w.root() / "reload-parents";
  reload.insert(reload.find('\n') + 1, "echo $PPID >> " + noted.string() + "\n");
  std::ofstream(w.root() / "reload.sh", std::ios::trunc) << reload;
  return noted;
}

// The shell of nginx's test and reload is started while a switch looks at
// what serves, so that the switch itself starts no process. One started
// for a switch that was then refused waits for the next switch.
TEST(Engine, TheShellStartedForARefusedSwitchRunsTheNextSwitch) {
  world w;
  auto noted = refuse_a_switch_then_note_reloads(w);
  // The shell waits, recorded under its PID in the state directory, so a
  // daemon killed now would end it at its next start.
  auto waiting = waiting_shells(w);
  ASSERT_EQ(waiting.size(), 1u);

  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  auto done = w.switch_to();
  ASSERT_EQ(done["state"], "succeeded") << w.log_text(done["id"]);
  EXPECT_EQ(bluegreen::testing::read_file(noted), waiting.front() + "\n");
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
  // Run and reaped: nothing waits after the switch.
  EXPECT_TRUE(waiting_shells(w).empty());
}

TEST(Engine, AShellStartedAheadThatWasKilledMeanwhileIsNotTakenForNginxRefusing) {
  world w;
  auto noted = refuse_a_switch_then_note_reloads(w);
  auto waiting = waiting_shells(w);
  ASSERT_EQ(waiting.size(), 1u);
  // Something kills the waiting shell (the OOM killer, a stray kill).
  ASSERT_EQ(kill(std::stoi(waiting.front()), SIGKILL), 0);

  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  auto done = w.switch_to();
  ASSERT_EQ(done["state"], "succeeded") << w.log_text(done["id"]);
  EXPECT_NE(bluegreen::testing::read_file(noted), waiting.front() + "\n");
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
}

TEST(Engine, SwitchesANginxReachedOverSsh) {
  world w(world_options{.nginx_over_ssh = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  auto switched = w.switch_to();
  EXPECT_EQ(switched["state"], "succeeded") << log_text(w, switched["id"]);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
  EXPECT_EQ(w.upstream_colour(), "green");
  EXPECT_EQ(w.rollback()["state"], "succeeded");
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

TEST(Engine, AutoModeDeploysChecksAndSwitches) {
  world w({"auto", "0s"});
  w.commit_version("2.0.0");
  auto done = w.deploy("main");
  EXPECT_EQ(done["state"], "succeeded") << done.dump();
  EXPECT_EQ(w.through_lb("/version"), "2.0.0");
  EXPECT_EQ(recorded_live(w), "green");
  // The same ref again goes to the other colour, which becomes live too.
  auto again = w.deploy("main");
  EXPECT_EQ(again["state"], "succeeded") << again.dump();
  EXPECT_EQ(again["colour"], "blue");
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  EXPECT_EQ(w.through_lb("/version"), "2.0.0");
}

TEST(Engine, AWeightedSwitchSendsAShareToEachColour) {
  world w;
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  auto canary = w.switch_to(R"({"weights": {"green": 50}})");
  ASSERT_EQ(canary["state"], "succeeded") << canary.dump();
  EXPECT_EQ(w.upstream_colour(), "split");
  std::set<std::string> versions;
  for (int i = 0; i < 40 && versions.size() < 2; ++i) versions.insert(w.through_lb("/version"));
  EXPECT_EQ(versions, (std::set<std::string>{"1.0.0", "2.0.0"}));
  // Completing the canary.
  EXPECT_EQ(w.switch_to(R"({"to": "green"})")["state"], "succeeded");
  EXPECT_EQ(w.upstream_colour(), "green");
  EXPECT_EQ(w.through_lb("/version"), "2.0.0");
}

TEST(Engine, AStepFailingOnOneOfThreeHostsFailsTheDeployAndLeavesLiveAlone) {
  world w;
  w.commit_version("2.0.0");
  std::ofstream(w.host_dir("127.0.0.4") / "fail-deploy");
  auto done = w.deploy("main");
  EXPECT_EQ(done["state"], "failed");
  std::string error = done["error"];
  EXPECT_NE(error.find("failed on 1 of 3 host(s)"), std::string::npos) << error;
  EXPECT_NE(error.find("127.0.0.4"), std::string::npos) << error;
  std::string log = log_text(w, done["id"]);
  EXPECT_NE(log.find("127.0.0.4]:"), std::string::npos);
  EXPECT_NE(log.find("refusing to deploy on 127.0.0.4"), std::string::npos) << log;
  EXPECT_NE(log.find("127.0.0.3]:"), std::string::npos);
  EXPECT_EQ(w.upstream_colour(), "blue");
  EXPECT_EQ(w.through_lb("/version"), "1.0.0");
  EXPECT_FALSE(w.api("GET", "/api/v1/apps/demo").body["green"]["verified"].get<bool>());
}

TEST(Engine, AFailingSmokeCheckMeansNoSwitch) {
  world w({"auto", "0s"});
  w.commit_version("2.0.0");
  std::ofstream(w.host_dir("127.0.0.3") / "unhealthy");
  auto done = w.deploy("main");
  EXPECT_EQ(done["state"], "failed");
  EXPECT_NE(done["error"].get<std::string>().find("smoke checks failed"), std::string::npos);
  expect_error_code(w, done["id"], "smoke_failed");
  EXPECT_EQ(w.upstream_colour(), "blue");
  EXPECT_EQ(w.through_lb("/version"), "1.0.0");
}

// With `marker` present the nginx switch must fail saying `why`, put the
// previous upstream file back and leave blue serving. What the command
// printed (`output`) is in the operation's log, never in the error sent to
// clients.
void expect_failed_switch_restores_the_file(const std::string& marker, const std::string& why,
                                            const std::string& output) {
  world w;
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  std::string before = bluegreen::testing::read_file(w.upstream_file());
  std::ofstream(w.root() / marker);
  auto done = w.switch_to();
  EXPECT_EQ(done["state"], "failed");
  std::string error = done["error"];
  for (const std::string& part : {why, std::string("the previous file is back in place")})
    EXPECT_NE(error.find(part), std::string::npos) << done.dump();
  expect_error_code(w, done["id"], "backend_failed");
  if (!output.empty()) {
    EXPECT_EQ(error.find(output), std::string::npos) << error;
    std::string log = log_text(w, done["id"]);
    EXPECT_NE(log.find("load balancer output: " + output), std::string::npos) << log;
  }
  EXPECT_EQ(bluegreen::testing::read_file(w.upstream_file()), before);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  EXPECT_EQ(recorded_live(w), "blue");
}

TEST(Engine, NginxRefusingTheConfigFailsTheSwitchAndRestoresTheFile) {
  expect_failed_switch_restores_the_file("nginx-test-fails", "refused the new upstream file", "");
}

TEST(Engine, AFailingReloadFailsTheSwitchAndRestoresTheFile) {
  expect_failed_switch_restores_the_file("reload-fails", "failed", "reload refused");
}

TEST(Engine, TheCommandBackendSwitchesAndRollsBackThroughOperatorScripts) {
  world w(world_options{.command_backend = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  EXPECT_EQ(w.through_lb("/version"), "1.0.0");

  auto switched = w.switch_to();
  EXPECT_EQ(switched["state"], "succeeded") << log_text(w, switched["id"]);
  EXPECT_EQ(w.through_lb("/version"), "2.0.0");
  EXPECT_EQ(w.upstream_colour(), "green");
  EXPECT_EQ(recorded_live(w), "green");
  EXPECT_NE(log_text(w, switched["id"]).find("switch_command routed traffic to green"),
            std::string::npos)
      << log_text(w, switched["id"]);

  // A script that fails leaves traffic where it is, and says why: how it
  // ended in the error, what it printed in the operation's log only.
  std::ofstream(w.root() / "route-fails");
  auto refused = w.rollback();
  EXPECT_EQ(refused["state"], "failed");
  EXPECT_EQ(refused["error_code"], "backend_failed");
  std::string error = refused["error"];
  EXPECT_NE(error.find("switch_command failed: exit 3"), std::string::npos) << error;
  EXPECT_EQ(error.find("route refused"), std::string::npos) << error;
  EXPECT_NE(log_text(w, refused["id"]).find("load balancer output: route refused"),
            std::string::npos)
      << log_text(w, refused["id"]);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
  EXPECT_EQ(recorded_live(w), "green");
  std::filesystem::remove(w.root() / "route-fails");

  auto rolled = w.rollback();
  EXPECT_EQ(rolled["state"], "succeeded") << log_text(w, rolled["id"]);
  EXPECT_TRUE(rolled["error_code"].is_null()) << rolled.dump();
  EXPECT_EQ(w.through_lb("/version"), "1.0.0");
  EXPECT_EQ(recorded_live(w), "blue");

  // current_command printing something else: nobody knows what serves, so
  // no deploy.
  std::ofstream(w.root() / "current-garbage");
  auto r = w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})");
  EXPECT_EQ(r.status, 409) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "live_unknown") << r.body.dump();
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("maybe"), std::string::npos)
      << r.body.dump();
}

// A switch_command that gives up half-way (nginx reloaded with green, then
// the blue file put back without a reload) leaves the load balancer reading
// blue while public_url answers green: the switch fails saying both, not
// "traffic stays on blue", and the app is drifted.
TEST(Engine, AFailedSwitchWhosePublicUrlAnswersAnotherColourSaysSoAndIsDrift) {
  world w(world_options{.command_backend = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  // The script waits, after its reload, until the test has seen green serve.
  bluegreen::testing::file_gate hold(w.root() / "half-way-hold");
  std::string upstream = w.upstream_file().string();
  std::ofstream(w.root() / "route.sh")
      << "#!/bin/sh\nset -e\ncp " << upstream << " " << upstream << ".before\n"
      << "sed 's/127\\.0\\.0\\.2:/127.0.0.3:/' " << upstream << ".before > " << upstream << "\n"
      << (w.root() / "reload.sh").string() << "\n"
      << hold.wait_command() << "\n"
      << "mv " << upstream << ".before " << upstream << "\n"
      << "echo gave up half-way >&2\nexit 3\n";

  auto started = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  ASSERT_EQ(started.status, 202) << started.body.dump();
  ASSERT_TRUE(eventually([&] { return w.through_lb("/hostname") == "green-production"; }));
  hold.open();
  auto done = w.follow(started.body["operation"]["id"]);
  std::string log = log_text(w, done["id"]);
  EXPECT_EQ(done["state"], "failed") << log;
  EXPECT_EQ(done["error_code"], "backend_failed") << log;
  std::string error = done["error"];
  std::string url = "http://127.0.0.1:" + std::to_string(w.lb_port()) + "/hostname";
  for (const std::string& part :
       {std::string("switch_command failed: exit 3"),
        "the load balancer routes to blue but " + url + " answers HTTP 200 \"green-production",
        std::string("the app is marked drifted")})
    EXPECT_NE(error.find(part), std::string::npos) << error << "\n" << log;
  auto app = w.api("GET", "/api/v1/apps/demo").body;
  ASSERT_TRUE(app["drifted"].get<bool>()) << app.dump();
  EXPECT_NE(app["drift_reason"].get<std::string>().find("routes to blue but " + url + " answers"),
            std::string::npos)
      << app.dump();
  EXPECT_EQ(w.upstream_colour(), "blue");
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
}

TEST(Engine, AHandEditedUpstreamIsDriftAndForceAcceptsIt) {
  world w;
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");  // records blue as live
  // Someone routes to green by hand and reloads nginx.
  std::string text = bluegreen::testing::read_file(w.upstream_file());
  std::string port = text.substr(text.find("127.0.0.2:") + 10, 5);
  port = port.substr(0, port.find_first_not_of("0123456789"));
  w.root();
  std::ofstream(w.upstream_file()) << "upstream demo {\n"
                                   << "    server 127.0.0.3:" << port << ";\n"
                                   << "    server 127.0.0.4:" << port << ";\n"
                                   << "    server 127.0.0.5:" << port << ";\n}\n";
  auto old_workers = w.nginx_workers();
  ASSERT_FALSE(old_workers.empty());
  auto reload = bluegreen::testing::run_command({(w.root() / "reload.sh").string()});
  ASSERT_EQ(reload.status, 0) << reload.err;
  // nginx's old worker may still take a new connection, and answer blue,
  // until it has exited.
  ASSERT_TRUE(w.wait_workers_gone(old_workers));
  ASSERT_EQ(w.through_lb("/hostname"), "green-production");

  auto refused = w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.body["error"]["code"], "drifted");
  EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("recorded blue"),
            std::string::npos)
      << refused.body.dump();
  EXPECT_TRUE(w.api("GET", "/api/v1/apps/demo").body["drifted"].get<bool>());

  auto forced = w.deploy("main", true);
  EXPECT_EQ(forced["state"], "ready") << forced.dump();
  EXPECT_EQ(forced["colour"], "blue");  // the idle colour per reality, never the serving one
  EXPECT_EQ(recorded_live(w), "green");
  EXPECT_FALSE(w.api("GET", "/api/v1/apps/demo").body["drifted"].get<bool>());
}

TEST(Engine, OfTwoConcurrentDeploysExactlyOneRuns) {
  world w;
  w.commit_version("2.0.0");
  std::string body = R"({"ref": "main"})";
  auto request =
      "POST /api/v1/apps/demo/deployments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
      w.token() + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  bluegreen::testing::http_connection a("127.0.0.1", w.api_port());
  bluegreen::testing::http_connection b("127.0.0.1", w.api_port());
  a.send_raw(request);
  b.send_raw(request);
  auto ra = a.read_reply();
  auto rb = b.read_reply();
  ASSERT_TRUE(ra && rb);
  std::multiset<int> statuses = {ra->status, rb->status};
  EXPECT_EQ(statuses, (std::multiset<int>{202, 409})) << ra->body << rb->body;
  auto& loser = ra->status == 409 ? *ra : *rb;
  EXPECT_NE(loser.body.find("deploy #"), std::string::npos) << loser.body;
  auto& winner = ra->status == 202 ? *ra : *rb;
  EXPECT_EQ(w.follow(json::parse(winner.body)["operation"]["id"])["state"], "ready");
}

TEST(Engine, ALockBlocksDeployAndSwitchButNotRollback) {
  world w;
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  ASSERT_EQ(w.switch_to()["state"], "succeeded");
  ASSERT_EQ(w.api("POST", "/api/v1/apps/demo/lock", R"({"reason": "release freeze"})").status, 201);
  auto deploy = w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})");
  EXPECT_EQ(deploy.status, 409);
  EXPECT_EQ(deploy.body["error"]["code"], "locked");
  EXPECT_NE(deploy.body["error"]["message"].get<std::string>().find("release freeze"),
            std::string::npos);
  auto sw = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  EXPECT_EQ(sw.status, 409);
  EXPECT_EQ(w.rollback()["state"], "succeeded");
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

TEST(Engine, CancelStopsTheRunningCommandsOnTheHosts) {
  world w;
  auto other = someone_elses_sleep();
  w.commit_version("2.0.0");
  std::int64_t id = 0;
  ASSERT_NO_FATAL_FAILURE(start_slow_deploy(w, id));
  ASSERT_TRUE(eventually([&] { return process_running(w, "sleep 600"); }));
  auto cancel = w.api("POST", "/api/v1/deployments/" + std::to_string(id) + "/cancel");
  EXPECT_EQ(cancel.status, 202) << cancel.body.dump();
  auto done = w.follow(id);
  EXPECT_EQ(done["state"], "cancelled");
  expect_error_code(w, id, "cancelled");
  EXPECT_TRUE(eventually([&] { return !process_running(w, "sleep 600"); }));
  EXPECT_EQ(w.upstream_colour(), "blue");
  EXPECT_FALSE(other->wait_exit(0ms)) << "another test's sleep 600 was stopped";
}

TEST(Engine, CancelDuringTheSmokeChecksStopsWaitingForWarmUp) {
  world w;
  w.commit_version("2.0.0");
  std::ofstream(w.host_dir("127.0.0.3") / "unhealthy");  // never warms up
  auto r = w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})");
  ASSERT_EQ(r.status, 202);
  std::int64_t id = r.body["operation"]["id"];
  ASSERT_TRUE(
      eventually([&] { return log_text(w, id).find("(attempt 1/21)") != std::string::npos; }, 60s));
  EXPECT_EQ(w.api("POST", "/api/v1/deployments/" + std::to_string(id) + "/cancel").status, 202);
  auto done = w.follow(id);
  EXPECT_EQ(done["state"], "cancelled") << done.dump();
  EXPECT_EQ(log_text(w, id).find("(attempt 21/21)"), std::string::npos);
}

TEST(Engine, EvilRefsAreRefusedAndNothingRuns) {
  world w;
  std::string canary = (w.root() / "pwned").string();
  for (const std::string& ref :
       {"$(touch " + canary + ")", std::string(";touch ") + canary, "`touch " + canary + "`",
        std::string("--upload-pack=touch ") + canary, std::string("main\ntouch ") + canary,
        std::string(300, 'a'), std::string("../../etc"), std::string("")}) {
    auto r = w.api("POST", "/api/v1/apps/demo/deployments", json{{"ref", ref}}.dump());
    EXPECT_EQ(r.status, 400) << ref;
    EXPECT_EQ(r.body["error"]["code"], "invalid_ref") << ref;
  }
  EXPECT_FALSE(std::filesystem::exists(canary));
  EXPECT_TRUE(w.api("GET", "/api/v1/apps/demo/deployments").body["operations"].empty());

  // A well-formed ref the repository does not have is accepted, then fails
  // to resolve; what git printed stays in the operation's log.
  auto unknown = w.deploy("no-such-branch");
  EXPECT_EQ(unknown["state"], "failed");
  std::string error = unknown["error"];
  EXPECT_NE(error.find("is it a branch, tag or commit"), std::string::npos) << error;
  EXPECT_EQ(error.find("fatal"), std::string::npos) << error;
  expect_error_code(w, unknown["id"], "unknown_ref");
  EXPECT_EQ(w.upstream_colour(), "blue");
}

TEST(Engine, TheWatchSwitchesBackWhenTheNewColourStartsFailing) {
  world w({"manual", "20s"});
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  auto r = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  ASSERT_EQ(r.status, 202);
  std::int64_t id = r.body["operation"]["id"];
  ASSERT_TRUE(eventually([&] {
    return w.api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"]["state"] ==
           "succeeded";
  }));
  for (const auto& h : w.green_hosts()) std::ofstream(w.host_dir(h) / "unhealthy");
  ASSERT_TRUE(eventually([&] {
    return w.api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"]["state"] ==
           "rolled_back";
  }));
  auto op = w.api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"];
  EXPECT_NE(op["error"].get<std::string>().find("failed probes"), std::string::npos) << op.dump();
  EXPECT_EQ(op["error_code"], "watch_unhealthy") << op.dump();
  EXPECT_EQ(w.upstream_colour(), "blue");
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  EXPECT_EQ(recorded_live(w), "blue");
}

TEST(Engine, AKillDuringADeployLeavesItInterruptedAndTheLockFree) {
  world w;
  w.commit_version("2.0.0");
  std::int64_t id = 0;
  ASSERT_NO_FATAL_FAILURE(start_slow_deploy(w, id));
  w.kill_daemon();
  for (const auto& h : w.green_hosts()) std::filesystem::remove(w.host_dir(h) / "slow-deploy");
  w.start_daemon();
  auto op = w.api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"];
  EXPECT_EQ(op["state"], "interrupted");
  EXPECT_EQ(op["error_code"], "interrupted") << op.dump();
  EXPECT_TRUE(w.api("GET", "/api/v1/apps/demo").body["locks"]["operation"].is_null());
  EXPECT_EQ(recorded_live(w), w.upstream_colour());
  EXPECT_EQ(w.deploy("main")["state"], "ready");
}

TEST(Engine, OnSigtermRunningStepsGetTheStopTimeoutThenAreInterrupted) {
  world w({"manual", "0s", "1s"});
  w.commit_version("2.0.0");
  std::int64_t id = 0;
  ASSERT_NO_FATAL_FAILURE(start_slow_deploy(w, id));
  w.daemon().signal(SIGTERM);
  ASSERT_TRUE(w.daemon().wait_for_stderr("waiting up to 1s for 1 running operation(s)", 20s));
  auto status = w.daemon().wait_exit(30s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << w.daemon().stderr_text();
  EXPECT_TRUE(eventually([&] { return !process_running(w, "sleep 600"); }));
  for (const auto& h : w.green_hosts()) std::filesystem::remove(w.host_dir(h) / "slow-deploy");
  w.start_daemon();
  auto op = w.api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"];
  EXPECT_EQ(op["state"], "interrupted");
  EXPECT_NE(op["error"].get<std::string>().find("bluegreend stopped"), std::string::npos)
      << op.dump();
  EXPECT_EQ(op["error_code"], "interrupted") << op.dump();
}

TEST(Engine, AKillDuringASwitchIsReconciledWithNginxAtTheNextStart) {
  world w;
  auto other = someone_elses_sleep();
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  std::ofstream(w.root() / "slow-reload");
  auto r = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  ASSERT_EQ(r.status, 202);
  std::int64_t id = r.body["operation"]["id"];
  ASSERT_TRUE(eventually([&] { return process_running(w, "sleep 600"); }, 60s));
  w.kill_daemon();
  // The half-done reload would finish later; stop it as a crash would.
  std::filesystem::remove(w.root() / "slow-reload");
  w.marker().signal(SIGKILL, "sleep 600");
  EXPECT_FALSE(other->wait_exit(0ms)) << "another test's sleep 600 was killed";
  w.start_daemon();
  auto op = w.api("GET", "/api/v1/deployments/" + std::to_string(id)).body["operation"];
  EXPECT_EQ(op["state"], "interrupted");
  EXPECT_EQ(recorded_live(w), w.upstream_colour());
  // What the file says is what nginx serves.
  EXPECT_TRUE(
      eventually([&] { return w.through_lb("/hostname") == w.upstream_colour() + "-production"; }));
}

TEST(Engine, ATaskRunsOnOneIdleHostAndIsRecorded) {
  world w;
  auto r = w.api("POST", "/api/v1/apps/demo/tasks/migrate", "{}");
  ASSERT_EQ(r.status, 202) << r.body.dump();
  auto done = w.follow(r.body["operation"]["id"]);
  EXPECT_EQ(done["state"], "succeeded") << done.dump();
  EXPECT_EQ(done["kind"], "task");
  EXPECT_EQ(bluegreen::testing::read_file(w.host_dir("127.0.0.3") / "migrations"),
            "migrated green\n");
  EXPECT_FALSE(std::filesystem::exists(w.host_dir("127.0.0.4") / "migrations"));
  EXPECT_EQ(w.api("POST", "/api/v1/apps/demo/tasks/nope", "{}").status, 404);
}

}  // namespace
