// The haproxy traffic backend end to end: the real bluegreend binary, real
// demo apps behind a real HAProxy 2.6 (master-worker, as Debian runs it)
// whose admin socket the daemon drives, here or over SSH.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::eventually;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

struct server_line {
  int op_state = -1;
  unsigned admin_state = 0;
  int weight = -1;
};

// One server of backend "demo" in `show servers state` text (format 1:
// be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state
// srv_uweight ...).
server_line server_in(const std::string& state, const std::string& name) {
  std::istringstream lines(state);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    if (w.size() > 7 && w[1] == "demo" && w[3] == name)
      return {std::stoi(w[5]), static_cast<unsigned>(std::stoul(w[6])), std::stoi(w[7])};
  }
  return {};
}

std::string runtime_state(const world& w) { return w.haproxy_command("show servers state demo"); }

// The weight of each server, "blue1=0 green1=100 ...".
std::string weights(const std::string& state) {
  std::string out;
  for (const char* s : {"blue1", "green1", "green2", "green3"})
    out += (out.empty() ? "" : " ") + std::string(s) + "=" +
           std::to_string(server_in(state, s).weight);
  return out;
}

const std::string kAllGreen = "blue1=0 green1=100 green2=100 green3=100";
const std::string kAllBlue = "blue1=100 green1=0 green2=0 green3=0";

std::string worker_pid(const world& w) {
  std::string info = w.haproxy_command("show info");
  auto at = info.find("\nPid: ");
  return info.substr(at + 6, info.find('\n', at + 1) - at - 6);
}

void make_green_ready(world& w) {
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
}

void deploy_switch_rollback(world& w) {
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  std::string worker = worker_pid(w);
  auto switched = w.switch_to();
  ASSERT_EQ(switched["state"], "succeeded") << switched.dump() << w.log_text(switched["id"]);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
  EXPECT_EQ(w.through_lb("/version"), "2.0.0");
  EXPECT_EQ(weights(runtime_state(w)), kAllGreen);
  // Saved for a reload, and no reload happened: the same worker serves.
  EXPECT_EQ(weights(bluegreen::testing::read_file(w.haproxy_state_file())), kAllGreen);
  EXPECT_EQ(worker_pid(w), worker);
  std::string log = w.log_text(switched["id"]);
  EXPECT_NE(log.find("haproxy: backend demo weights"), std::string::npos) << log;

  auto back = w.rollback();
  ASSERT_EQ(back["state"], "succeeded") << back.dump();
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  EXPECT_EQ(weights(runtime_state(w)), kAllBlue);
  EXPECT_EQ(weights(bluegreen::testing::read_file(w.haproxy_state_file())), kAllBlue);
  auto app = w.api("GET", "/api/v1/apps/demo").body;
  EXPECT_EQ(app["live"], "blue") << app.dump();
}

TEST(Haproxy, DeploySwitchAndRollbackThroughTheAdminSocket) {
  world w(world_options{.haproxy = true});
  deploy_switch_rollback(w);
}

TEST(Haproxy, DeploySwitchAndRollbackThroughATcpAdminSocket) {
  world w(world_options{.haproxy = true, .haproxy_tcp_socket = true});
  deploy_switch_rollback(w);
}

TEST(Haproxy, DeploySwitchAndRollbackOnALoadBalancerReachedOverSsh) {
  world w(world_options{.haproxy = true, .haproxy_over_ssh = true});
  deploy_switch_rollback(w);
}

TEST(Haproxy, ACanarySetsServerWeightsAndBothColoursAnswer) {
  world w(world_options{.haproxy = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  auto canary = w.switch_to(R"({"weights": {"green": 25}})");
  ASSERT_EQ(canary["state"], "succeeded") << canary.dump() << w.log_text(canary["id"]);
  std::string state = runtime_state(w);
  int blue = server_in(state, "blue1").weight;
  int green = 0;
  for (const char* s : {"green1", "green2", "green3"}) green += server_in(state, s).weight;
  ASSERT_GT(blue, 0);
  ASSERT_GT(green, 0);
  EXPECT_EQ(std::lround(100.0 * green / (blue + green)), 25) << weights(state);
  EXPECT_EQ(weights(bluegreen::testing::read_file(w.haproxy_state_file())), weights(state));
  std::set<std::string> versions;
  for (int i = 0; i < 80 && versions.size() < 2; ++i) versions.insert(w.through_lb("/version"));
  EXPECT_EQ(versions, (std::set<std::string>{"1.0.0", "2.0.0"}));
  // Completing the canary.
  EXPECT_EQ(w.switch_to(R"({"to": "green"})")["state"], "succeeded");
  EXPECT_EQ(weights(runtime_state(w)), kAllGreen);
  EXPECT_EQ(w.through_lb("/version"), "2.0.0");
}

TEST(Haproxy, ReloadingHaproxyByHandAfterASwitchKeepsTheSwitch) {
  world w(world_options{.haproxy = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  ASSERT_EQ(w.switch_to()["state"], "succeeded");
  std::string worker = worker_pid(w);
  w.reload_haproxy();
  EXPECT_NE(worker_pid(w), worker);
  EXPECT_EQ(weights(runtime_state(w)), kAllGreen);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(w.through_lb("/hostname"), "green-production");
  // The daemon still agrees with the load balancer, and switches back.
  auto back = w.rollback();
  ASSERT_EQ(back["state"], "succeeded") << back.dump();
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  w.reload_haproxy();
  EXPECT_EQ(weights(runtime_state(w)), kAllBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

TEST(Haproxy, ATargetWhoseServersAreNotUpIsRefusedAndTrafficStays) {
  world w(world_options{.haproxy = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  // green2's health check fails (the colour's own URL, green1, is fine).
  std::ofstream(w.host_dir("127.0.0.4") / "unhealthy");
  ASSERT_TRUE(eventually([&] { return server_in(runtime_state(w), "green2").op_state == 0; }));
  w.haproxy_command("set server demo/green3 state maint");
  auto refused = w.switch_to();
  EXPECT_EQ(refused["state"], "failed");
  std::string error = refused["error"];
  for (const char* part : {"refusing to route to green", "green2 is DOWN",
                           "green3 is in maintenance", "traffic stays on blue"})
    EXPECT_NE(error.find(part), std::string::npos) << part << " in: " << error;
  EXPECT_EQ(error.find("green1"), std::string::npos) << error;
  auto got = w.api("GET", "/api/v1/deployments/" + std::to_string(refused["id"].get<int>()));
  EXPECT_EQ(got.body["operation"]["error_code"], "servers_not_up") << got.body.dump();
  EXPECT_EQ(weights(runtime_state(w)), kAllBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");

  // Once HAProxy reports them UP, the same switch goes through.
  std::filesystem::remove(w.host_dir("127.0.0.4") / "unhealthy");
  w.haproxy_command("set server demo/green3 state ready");
  ASSERT_TRUE(eventually([&] {
    auto state = runtime_state(w);
    return server_in(state, "green2").op_state == 2 && server_in(state, "green3").op_state == 2;
  }));
  auto switched = w.switch_to();
  EXPECT_EQ(switched["state"], "succeeded") << switched.dump();
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
}

TEST(Haproxy, ASwitchThatCannotSaveTheServerStatePutsTheWeightsBack) {
  world w(world_options{.haproxy = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  // A directory where the state file goes: it cannot be replaced.
  std::filesystem::create_directories(w.haproxy_state_file() / "in-the-way");
  auto done = w.switch_to();
  EXPECT_EQ(done["state"], "failed");
  std::string error = done["error"];
  EXPECT_NE(error.find("cannot save the server state to " + w.haproxy_state_file().string()),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("the previous weights are back"), std::string::npos) << error;
  EXPECT_EQ(weights(runtime_state(w)), kAllBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

TEST(Haproxy, ASocketWithoutLevelAdminFailsTheSwitchSayingSo) {
  world w(world_options{.haproxy = true, .haproxy_socket_level = "operator"});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  auto done = w.switch_to();
  EXPECT_EQ(done["state"], "failed");
  std::string error = done["error"];
  for (const char* part : {"refused the change: Permission denied",
                           "the stats socket needs `level admin`", "the previous weights are back"})
    EXPECT_NE(error.find(part), std::string::npos) << part << " in: " << error;
  EXPECT_EQ(weights(runtime_state(w)), kAllBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

json app_view(world& w) { return w.api("GET", "/api/v1/apps/demo").body; }

TEST(Haproxy, WeightsChangedByHandOnTheSocketAreShownAsDrift) {
  world w(world_options{.reality_interval = "100ms", .haproxy = true});
  w.haproxy_command(
      "set server demo/green1 weight 100; set server demo/green2 weight 100; "
      "set server demo/green3 weight 100; set server demo/blue1 weight 0");
  const std::string reason =
      "haproxy routes to green but bluegreend recorded blue as live (changed by hand?)";
  ASSERT_TRUE(eventually([&] { return app_view(w)["drift_reason"] == reason; }))
      << app_view(w).dump();
  EXPECT_EQ(app_view(w)["reality"]["routing"], "green:100");

  // Part of a colour: the view names the servers.
  w.haproxy_command("set server demo/green2 weight 0; set server demo/green3 weight 0");
  ASSERT_TRUE(eventually([&] {
    return app_view(w).dump().find(
               "some of green's servers (green1) but not to green2 (weight "
               "0), green3 (weight 0)") != std::string::npos;
  })) << app_view(w).dump();

  // Put back: no longer drifted.
  w.haproxy_command("set server demo/blue1 weight 100; set server demo/green1 weight 0");
  ASSERT_TRUE(eventually([&] { return app_view(w)["drifted"] == false; })) << app_view(w).dump();
}

// Ten answers in a row through load balancer `lb` come from `colour`.
bool serves(world& w, int lb, const std::string& colour) {
  return eventually([&] {
    for (int i = 0; i < 10; ++i)
      if (w.through_lb("/hostname", lb) != colour + "-production") return false;
    return true;
  });
}

TEST(Haproxy, TwoLoadBalancersSwitchAndRollBackTogether) {
  world w(world_options{.haproxy = true, .two_haproxy = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  auto switched = w.switch_to();
  std::string log = w.log_text(switched["id"]);
  ASSERT_EQ(switched["state"], "succeeded") << switched.dump() << log;
  for (int lb : {1, 2}) {
    EXPECT_EQ(weights(w.haproxy_command("show servers state demo", lb)), kAllGreen) << lb;
    EXPECT_TRUE(serves(w, lb, "green")) << lb;
  }
  EXPECT_NE(log.find("lb1: haproxy: backend demo weights"), std::string::npos) << log;
  EXPECT_NE(log.find("lb2: haproxy: backend demo weights"), std::string::npos) << log;

  auto back = w.rollback();
  ASSERT_EQ(back["state"], "succeeded") << back.dump();
  for (int lb : {1, 2}) {
    EXPECT_EQ(weights(w.haproxy_command("show servers state demo", lb)), kAllBlue) << lb;
    EXPECT_TRUE(serves(w, lb, "blue")) << lb;
  }
}

TEST(Haproxy, WhenTheSecondRefusesBothStayOnTheOldColour) {
  world w(world_options{.haproxy = true, .two_haproxy = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  // On lb2 only, one of green's servers is in maintenance: lb2 refuses.
  w.haproxy_command("set server demo/green3 state maint", 2);

  auto refused = w.switch_to();
  std::string log = w.log_text(refused["id"]);
  EXPECT_EQ(refused["state"], "failed") << log;
  std::string error = refused["error"];
  for (const char* part :
       {"load balancer lb2 refused", "green3 is in maintenance", "lb1 was put back to blue"})
    EXPECT_NE(error.find(part), std::string::npos) << part << " in: " << error;
  for (int lb : {1, 2}) {
    EXPECT_EQ(weights(w.haproxy_command("show servers state demo", lb)), kAllBlue) << lb;
    EXPECT_TRUE(serves(w, lb, "blue")) << lb;
  }
  EXPECT_EQ(w.api("GET", "/api/v1/apps/demo").body["live"], "blue");

  // Once lb2's servers are all UP, the switch goes through on both.
  w.haproxy_command("set server demo/green3 state ready", 2);
  ASSERT_TRUE(eventually([&] {
    return server_in(w.haproxy_command("show servers state demo", 2), "green3").op_state == 2;
  }));
  auto switched = w.switch_to();
  EXPECT_EQ(switched["state"], "succeeded") << w.log_text(switched["id"]);
  EXPECT_TRUE(serves(w, 1, "green"));
  EXPECT_TRUE(serves(w, 2, "green"));
}

TEST(Haproxy, ALoadBalancerHostWithoutSocatIsNamedWithWhatToInstall) {
  world w(world_options{.reality_interval = "100ms",
                        .haproxy = true,
                        .haproxy_over_ssh = true,
                        .haproxy_host_without_socat = true});
  const std::string why = "socat is not installed on " + w.ssh_host("127.0.0.2") +
                          ": the haproxy backend runs it there to reach the admin socket "
                          "(apt-get install socat)";
  // The reality loop says so...
  json view;
  EXPECT_TRUE(eventually(
      [&] {
        view = w.api("GET", "/api/v1/apps/demo").body;
        return view["reality"]["error"].is_string() &&
               view["reality"]["error"].get<std::string>().find(why) != std::string::npos;
      },
      30s))
      << view.dump();
  // ...and so does a switch, which changes nothing.
  auto refused = w.api("POST", "/api/v1/apps/demo/switch", R"({"to": "green"})");
  EXPECT_EQ(refused.status, 409) << refused.body.dump();
  EXPECT_NE(refused.body.dump().find(why), std::string::npos) << refused.body.dump();
  auto forced = w.switch_to(R"({"to": "green", "force": true})");
  EXPECT_EQ(forced["state"], "failed");
  EXPECT_NE(forced["error"].get<std::string>().find(why), std::string::npos) << forced.dump();
  EXPECT_EQ(weights(runtime_state(w)), kAllBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

}  // namespace
