// An app behind two load balancers, end to end: the real bluegreend binary,
// two real nginx instances on loopback ("lb1", and "lb2" with an upstream
// file of its own), a real sshd and the demo app. A switch changes both or
// neither; load balancers that disagree are drift, not a colour.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sse.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::eventually;
using bluegreen::testing::http_connection;
using bluegreen::testing::parse_sse;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

void make_green_ready(world& w) {
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
}

// Ten answers in a row through load balancer `lb` come from `colour`
// (a reload lets old workers finish their requests first).
bool serves(world& w, int lb, const std::string& colour) {
  return eventually([&] {
    for (int i = 0; i < 10; ++i)
      if (w.through_lb("/hostname", lb) != colour + "-production") return false;
    return true;
  });
}

std::string recorded_live(world& w) {
  auto app = w.api("GET", "/api/v1/apps/demo");
  return app.body["live"].is_null() ? "none" : app.body["live"].get<std::string>();
}

TEST(LoadBalancers, ASwitchAndARollbackChangeBoth) {
  // lb1 on this machine, lb2 over SSH.
  world w(world_options{.nginx_over_ssh = true, .two_nginx = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  auto view = w.api("GET", "/api/v1/apps/demo").body;
  EXPECT_EQ(view["traffic"]["load_balancers"].size(), 2u) << view["traffic"].dump();
  EXPECT_EQ(view["traffic"]["load_balancers"][1]["name"], "lb2");

  auto switched = w.switch_to();
  std::string log = w.log_text(switched["id"]);
  EXPECT_EQ(switched["state"], "succeeded") << log;
  EXPECT_EQ(w.upstream_colour(1), "green");
  EXPECT_EQ(w.upstream_colour(2), "green");
  EXPECT_TRUE(serves(w, 1, "green"));
  EXPECT_TRUE(serves(w, 2, "green"));
  EXPECT_NE(log.find("lb1: nginx: wrote"), std::string::npos) << log;
  EXPECT_NE(log.find("lb2: nginx: wrote"), std::string::npos) << log;
  EXPECT_EQ(recorded_live(w), "green");

  EXPECT_EQ(w.rollback()["state"], "succeeded");
  EXPECT_EQ(w.upstream_colour(1), "blue");
  EXPECT_EQ(w.upstream_colour(2), "blue");
  EXPECT_TRUE(serves(w, 1, "blue"));
  EXPECT_TRUE(serves(w, 2, "blue"));
}

TEST(LoadBalancers, WhenTheSecondRefusesItsNginxTestBothStayOnTheOldColour) {
  world w(world_options{.two_nginx = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  std::ofstream(w.root() / "nginx2-test-fails");

  auto done = w.switch_to();
  // The switch ends failed only once public_url is answered by blue again:
  // lb1, switched to green and put back (reloaded twice), never answers from
  // its worker of the green file after that.
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(w.through_lb("/hostname", 1), "blue-production") << "answer " << i;
  std::string log = w.log_text(done["id"]);
  EXPECT_EQ(done["state"], "failed") << log;
  EXPECT_EQ(done["error_code"], "backend_failed");
  std::string error = done["error"];
  for (const std::string& part :
       {std::string("load balancer lb2 refused: `test ! -e "),
        std::string("refused the new upstream file"), std::string("lb1 was put back to blue")})
    EXPECT_NE(error.find(part), std::string::npos) << error;
  EXPECT_NE(log.find("lb1: put back to blue"), std::string::npos) << log;
  // Both still route to blue, and answer from blue.
  EXPECT_EQ(w.upstream_colour(1), "blue");
  EXPECT_EQ(w.upstream_colour(2), "blue");
  EXPECT_TRUE(serves(w, 1, "blue"));
  EXPECT_TRUE(serves(w, 2, "blue"));
  EXPECT_EQ(recorded_live(w), "blue");

  // Once lb2 accepts its file again, a switch at once goes through on both
  // (its look at reality through lb1 sees blue, as recorded: no drift).
  std::filesystem::remove(w.root() / "nginx2-test-fails");
  auto again = w.switch_to();
  EXPECT_EQ(again["state"], "succeeded") << w.log_text(again["id"]);
  EXPECT_TRUE(serves(w, 1, "green"));
  EXPECT_TRUE(serves(w, 2, "green"));
}

TEST(LoadBalancers, OneThatCannotBeReachedMeansNothingIsChanged) {
  world w(world_options{.nginx_over_ssh = true, .two_nginx = true});
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  // lb2 is over SSH: with a host key it does not know, bluegreend refuses
  // to log in there.
  w.change_ssh_host_key();

  // The live colour cannot be established: the refusal names lb2.
  auto refused = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  EXPECT_EQ(refused.status, 409) << refused.body.dump();
  EXPECT_NE(refused.body.dump().find("load balancer lb2: cannot read the upstream file"),
            std::string::npos)
      << refused.body.dump();
  // Forced, the switch goes on without it, but changes none of them.
  auto done = w.switch_to(R"({"to": "green", "force": true})");
  EXPECT_EQ(done["state"], "failed");
  std::string error = done["error"];
  EXPECT_NE(error.find("nothing was changed: load balancer lb2: cannot read the upstream file"),
            std::string::npos)
      << error;
  EXPECT_EQ(w.upstream_colour(1), "blue");
  EXPECT_EQ(w.upstream_colour(2), "blue");
  EXPECT_TRUE(serves(w, 1, "blue"));
  EXPECT_TRUE(serves(w, 2, "blue"));
  EXPECT_EQ(recorded_live(w), "blue");
}

TEST(LoadBalancers, LoadBalancersThatDisagreeAreShownAndRefuseADeploy) {
  world w(world_options{.reality_interval = "100ms", .two_nginx = true});
  w.commit_version("2.0.0");
  w.route_by_hand(2, "green");
  ASSERT_TRUE(serves(w, 2, "green"));

  const std::string each = "lb1 routes to blue; lb2 routes to green";
  json view;
  EXPECT_TRUE(eventually(
      [&] {
        view = w.api("GET", "/api/v1/apps/demo").body;
        return view["reality"]["error"].is_string() &&
               view["reality"]["error"].get<std::string>().find(each) != std::string::npos;
      },
      30s))
      << view.dump();
  // Nobody can say which colour serves: the app is drifted, saying why.
  EXPECT_TRUE(eventually([&] {
    view = w.api("GET", "/api/v1/apps/demo").body;
    return view["drifted"] == true;
  })) << view.dump();
  EXPECT_NE(view["drift_reason"].dump().find(each), std::string::npos) << view.dump();

  auto refused = w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})");
  EXPECT_EQ(refused.status, 409) << refused.body.dump();
  EXPECT_NE(refused.body.dump().find(each), std::string::npos) << refused.body.dump();
  // Nothing was changed by the refusal.
  EXPECT_EQ(w.upstream_colour(1), "blue");
  EXPECT_EQ(w.upstream_colour(2), "green");

  // A forced switch routes both to one colour: the view clears and a
  // deploy goes ahead.
  auto forced = w.switch_to(R"({"to": "blue", "force": true})");
  EXPECT_EQ(forced["state"], "succeeded") << w.log_text(forced["id"]);
  EXPECT_EQ(w.upstream_colour(1), "blue");
  EXPECT_EQ(w.upstream_colour(2), "blue");
  EXPECT_TRUE(serves(w, 2, "blue"));
  EXPECT_TRUE(eventually(
      [&] { return w.api("GET", "/api/v1/apps/demo").body["reality"]["error"].is_null(); }, 30s));
  EXPECT_EQ(w.api("GET", "/api/v1/apps/demo").body["drifted"], false);
  EXPECT_EQ(w.deploy("main")["state"], "ready");
}

// What the app view shows of each load balancer: "lb1 green:100, lb2
// blue:100" (a load balancer that could not be read shows its error).
std::string each_view(const json& load_balancers) {
  std::string out;
  for (const auto& lb : load_balancers) {
    out += (out.empty() ? "" : ", ") + lb["name"].get<std::string>() + " ";
    out += lb["routing"].is_string() ? lb["routing"].get<std::string>()
                                     : "error: " + lb["error"].dump();
  }
  return out;
}

TEST(LoadBalancers, TheAppViewAndItsEventsShowEachLoadBalancersRouting) {
  world w(world_options{.reality_interval = "100ms", .two_nginx = true});
  http_connection stream("127.0.0.1", w.api_port());
  stream.send_raw(
      "GET /api/v1/events/stream?after=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
      w.token() + "\r\n\r\n");
  auto head = stream.read_reply();
  ASSERT_TRUE(head && head->status == 200);

  // Both route to blue: each shows it.
  json view;
  auto shows = [&](const std::string& each) {
    return eventually(
        [&] {
          view = w.api("GET", "/api/v1/apps/demo").body;
          return each_view(view["reality"]["load_balancers"]) == each;
        },
        30s);
  };
  EXPECT_TRUE(shows("lb1 blue:100, lb2 blue:100")) << view["reality"].dump();
  EXPECT_TRUE(view["reality"]["load_balancers"][0]["error"].is_null()) << view["reality"].dump();

  // lb2 is changed by hand: each one's routing is shown, beside the
  // combined error and the drift as before.
  w.route_by_hand(2, "green");
  EXPECT_TRUE(shows("lb1 blue:100, lb2 green:100")) << view["reality"].dump();
  EXPECT_TRUE(view["reality"]["routing"].is_null()) << view["reality"].dump();
  EXPECT_NE(view["reality"]["error"].dump().find("lb1 routes to blue; lb2 routes to green"),
            std::string::npos)
      << view["reality"].dump();
  auto listed = w.api("GET", "/api/v1/apps").body;
  ASSERT_EQ(listed["apps"].size(), 1u);
  EXPECT_EQ(listed["apps"][0]["reality"]["load_balancers"], view["reality"]["load_balancers"]);

  // The event stream said so, as it happened.
  const json apart = json::parse(
      R"([{"name": "lb1", "routing": "blue:100", "error": null},
          {"name": "lb2", "routing": "green:100", "error": null}])");
  auto carries = [&](const json& each) {
    return [each](const std::string& text) {
      for (const auto& m : parse_sse(text).messages) {
        if (m.event != "app.changed" || m.data["app"] != "demo") continue;
        for (const auto& c : m.data.value("changes", json::array()))
          if (c["field"] == "reality.load_balancers" && c["new"] == each) return true;
      }
      return false;
    };
  };
  EXPECT_TRUE(stream.read_until(carries(apart), 30s)) << stream.received();

  // Routed back by hand, they agree again: both show blue, and so does an
  // event.
  w.route_by_hand(2, "blue");
  EXPECT_TRUE(shows("lb1 blue:100, lb2 blue:100")) << view["reality"].dump();
  EXPECT_EQ(view["reality"]["routing"], "blue:100") << view["reality"].dump();
  const json together = json::parse(
      R"([{"name": "lb1", "routing": "blue:100", "error": null},
          {"name": "lb2", "routing": "blue:100", "error": null}])");
  EXPECT_TRUE(stream.read_until(carries(together), 30s)) << stream.received();
}

}  // namespace
