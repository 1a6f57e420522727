// The reality loop against real nginx and the demo app: between operations
// the app view shows what the load balancer routes to, which colour answers
// public_url and both colours' health, and says `drifted` with a reason when
// that differs from what bluegreend recorded; it only reads, steps aside
// for traffic changes, backs off on a failing load balancer, and does
// nothing when turned off.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/file_gate.hpp"
#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::eventually;
using bluegreen::testing::read_file;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

json app_view(world& w) { return w.api("GET", "/api/v1/apps/demo").body; }

std::string text_of(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// Waits until the loop has looked again after `since` (a seen_at, or null),
// and returns the app view of then.
json next_look(world& w, const json& since) {
  json view;
  bool looked = eventually(
      [&] {
        view = app_view(w);
        const json& at = view["reality"]["seen_at"];
        return at.is_string() &&
               (!since.is_string() || at.get<std::string>() > since.get<std::string>());
      },
      30s);
  if (!looked) throw std::runtime_error("the reality loop did not look again: " + view.dump());
  return view;
}

// Points nginx at one colour by hand, as an operator would, and waits until
// that colour answers every time.
void route_by_hand(world& w, const std::string& colour) {
  std::string text = read_file(w.upstream_file());
  auto at = text.find(":", text.find("server 127.0.0."));
  std::string port = text.substr(at + 1, text.find_first_not_of("0123456789", at + 1) - at - 1);
  std::ofstream out(w.upstream_file(), std::ios::trunc);
  out << "upstream demo {\n";
  for (const auto& h : colour == "blue" ? w.blue_hosts() : w.green_hosts())
    out << "    server " << h << ":" << port << ";\n";
  out << "}\n";
  out.close();
  auto reload = bluegreen::testing::run_command({(w.root() / "reload.sh").string()});
  ASSERT_EQ(reload.status, 0) << reload.err;
  ASSERT_TRUE(eventually([&] {
    for (int i = 0; i < 10; ++i)
      if (w.through_lb("/hostname") != colour + "-production") return false;
    return true;
  }));
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Milliseconds since the epoch of "2026-11-30T09:07:59.123Z".
long long millis_of(const std::string& at) {
  std::tm tm{};
  strptime(at.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  return static_cast<long long>(timegm(&tm)) * 1000 + std::stoi(at.substr(20, 3));
}

TEST(Reality, AHandEditedUpstreamIsShownAsDriftUntilItIsPutBack) {
  world w(world_options{.reality_interval = "100ms"});
  json view = next_look(w, nullptr);
  EXPECT_EQ(view["live"], "blue");
  EXPECT_EQ(view["reality"]["routing"], "blue:100");
  EXPECT_EQ(view["reality"]["identity"], "blue");
  EXPECT_TRUE(view["reality"]["error"].is_null());
  EXPECT_FALSE(view["drifted"].get<bool>());

  // Someone routes to green by hand: no operation runs, yet the view says so.
  route_by_hand(w, "green");
  std::string edited = read_file(w.upstream_file());
  // (A look made while the file was written but nginx not yet reloaded
  // says so: nginx and the identity disagree. Then it settles.)
  const std::string reason =
      "nginx routes to green but bluegreend recorded blue as live (changed by hand?)";
  ASSERT_TRUE(eventually([&] { return app_view(w)["drift_reason"] == reason; }, 30s))
      << app_view(w).dump();
  view = app_view(w);
  EXPECT_EQ(view["live"], "blue");  // as recorded: the loop never decides what is live
  EXPECT_EQ(view["drifted"], true);
  EXPECT_EQ(view["reality"]["drifted"], true);
  EXPECT_EQ(view["reality"]["drift_reason"], view["drift_reason"]);
  EXPECT_EQ(view["reality"]["routing"], "green:100");
  EXPECT_EQ(view["reality"]["identity"], "green");
  // The listing tells the same.
  auto listing = w.api("GET", "/api/v1/apps").body;
  EXPECT_EQ(listing["apps"][0]["drifted"], true) << listing.dump();
  EXPECT_EQ(listing["apps"][0]["reality"]["routing"], "green:100");

  // Looking is all it does: a few looks later nginx still routes as edited.
  view = next_look(w, next_look(w, view["reality"]["seen_at"])["reality"]["seen_at"]);
  EXPECT_EQ(read_file(w.upstream_file()), edited);
  EXPECT_EQ(w.upstream_colour(), "green");

  // Put back: no longer drifted, without any operation.
  route_by_hand(w, "blue");
  ASSERT_TRUE(eventually([&] { return app_view(w)["drifted"] == false; }, 30s))
      << app_view(w).dump();
  view = app_view(w);
  EXPECT_TRUE(view["drift_reason"].is_null());
  EXPECT_EQ(view["reality"]["routing"], "blue:100");
  EXPECT_EQ(view["reality"]["identity"], "blue");
  auto ops = w.api("GET", "/api/v1/apps/demo/deployments").body;
  EXPECT_TRUE(ops["operations"].empty()) << ops.dump();
}

TEST(Reality, BothColoursHealthIsCheckedBetweenOperations) {
  world w(world_options{.reality_interval = "100ms"});
  json view = next_look(w, nullptr);
  EXPECT_EQ(view["blue"]["health"], "ok");
  EXPECT_EQ(view["green"]["health"], "ok");
  EXPECT_EQ(view["blue"]["health_checked_at"], view["reality"]["seen_at"]);

  std::ofstream(w.host_dir("127.0.0.3") / "unhealthy");  // green's URL answers 503
  ASSERT_TRUE(eventually([&] { return app_view(w)["green"]["health"] == "failing"; }, 30s));
  EXPECT_EQ(app_view(w)["blue"]["health"], "ok");
  std::filesystem::remove(w.host_dir("127.0.0.3") / "unhealthy");
  ASSERT_TRUE(eventually([&] { return app_view(w)["green"]["health"] == "ok"; }, 30s));
}

TEST(Reality, ASwitchDuringALookIsNotHeldUpAndTheStaleLookIsNotRecorded) {
  world w(world_options{.command_backend = true, .reality_interval = "100ms"});
  next_look(w, nullptr);
  // The loop's next reading of the load balancer reads "blue", then hangs.
  bluegreen::testing::file_gate hold(w.root() / "current-hold");
  ASSERT_TRUE(
      eventually([&] { return std::filesystem::exists(w.root() / "current-waiting"); }, 30s));

  // A switch meanwhile neither waits for that look nor is undone by it.
  auto done = w.switch_to(R"({"to": "green", "force": true})");
  ASSERT_EQ(done["state"], "succeeded") << done.dump();
  EXPECT_EQ(w.upstream_colour(), "green");
  hold.open();  // the look now sees "blue", from before the switch
  json view = next_look(w, nullptr);
  ASSERT_TRUE(eventually(
      [&] {
        view = app_view(w);
        return view["reality"]["routing"] == "green:100";
      },
      30s))
      << view.dump();
  view = next_look(w, view["reality"]["seen_at"]);
  EXPECT_EQ(view["live"], "green");
  EXPECT_EQ(view["drifted"], false) << view.dump();
  std::string log = w.daemon().stderr_text();
  EXPECT_EQ(log.find("drifted:"), std::string::npos) << log;
  EXPECT_NE(log.find("a traffic change overlapped this look"), std::string::npos) << log;
}

TEST(Reality, AFailingLoadBalancerIsLookedAtLessOftenAndLoggedOnce) {
  world w(world_options{.command_backend = true, .reality_interval = "100ms"});
  next_look(w, nullptr);
  // current.sh now prints something that is not a routing.
  std::ofstream(w.root() / "current-garbage");
  json view;
  ASSERT_TRUE(eventually(
      [&] {
        view = app_view(w);
        return !view["reality"]["error"].is_null();
      },
      30s));
  EXPECT_NE(text_of(view["reality"]["error"]).find("cannot read what the load balancer routes to"),
            std::string::npos)
      << view.dump();
  EXPECT_TRUE(view["reality"]["routing"].is_null());
  EXPECT_EQ(view["reality"]["identity"], "blue");  // public_url still answers
  EXPECT_FALSE(view["drifted"].get<bool>());       // nothing contradicts the record

  // Three more failing looks: each waits twice as long as the one before,
  // so the third gap is far longer than the interval (100 ms).
  std::vector<long long> looks = {millis_of(view["reality"]["seen_at"])};
  for (int i = 0; i < 3; ++i) {
    view = next_look(w, view["reality"]["seen_at"]);
    looks.push_back(millis_of(view["reality"]["seen_at"]));
  }
  EXPECT_GE(looks[3] - looks[2], 600)
      << "looks at " << looks[0] << ", " << looks[1] << ", " << looks[2] << ", " << looks[3];
  std::string log = w.daemon().stderr_text();
  EXPECT_EQ(count_of(log, "cannot read what the load balancer routes to"), 1u) << log;

  std::filesystem::remove(w.root() / "current-garbage");
  ASSERT_TRUE(w.daemon().wait_for_stderr("can be read again", 60s)) << w.daemon().stderr_text();
  view = next_look(w, view["reality"]["seen_at"]);
  EXPECT_TRUE(view["reality"]["error"].is_null()) << view.dump();
  EXPECT_EQ(view["reality"]["routing"], "blue:100");
  log = w.daemon().stderr_text();
  EXPECT_EQ(count_of(log, "cannot read what the load balancer routes to"), 1u) << log;
  EXPECT_EQ(count_of(log, "can be read again"), 1u) << log;
}

TEST(Reality, ZeroIntervalMeansNoLooksUntilAReloadTurnsItOn) {
  world w(world_options{.reality_interval = "0s"});
  route_by_hand(w, "green");
  // A whole deploy's time later (it is refused: drift is still found when an
  // operation starts), nothing was looked at between operations.
  auto refused = w.api("POST", "/api/v1/apps/demo/deployments", R"({"ref": "main"})");
  EXPECT_EQ(refused.status, 409);
  w.commit_version("2.0.0");
  auto forced = w.deploy("main", true);
  ASSERT_EQ(forced["state"], "ready") << forced.dump();
  json view = app_view(w);
  EXPECT_TRUE(view["reality"]["seen_at"].is_null()) << view.dump();
  EXPECT_TRUE(view["reality"]["routing"].is_null());
  EXPECT_TRUE(view["blue"]["health_checked_at"].is_null());

  // A reload with an interval starts looking.
  std::string config = read_file(w.root() / "bluegreen.toml");
  config = std::regex_replace(config, std::regex("interval = \"0s\""), "interval = \"100ms\"");
  std::ofstream(w.root() / "bluegreen.toml", std::ios::trunc) << config;
  w.daemon().signal(SIGHUP);
  view = next_look(w, nullptr);
  EXPECT_EQ(view["reality"]["routing"], "green:100");
  EXPECT_FALSE(view["drifted"].get<bool>());
}

}  // namespace
