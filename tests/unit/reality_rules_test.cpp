// The pure rules of the reality loop: the drift verdict from what is
// recorded and what is seen, the wait between looks (spread, back-off), the
// health check, and the [reality] section of the configuration.
#include "daemon/engine/reality_rules.hpp"

#include <gtest/gtest.h>

#include "daemon/config.hpp"

namespace bluegreen {
namespace {

using namespace std::chrono_literals;
using checks::identity_result;
using checks::identity_seen;
using daemon::colour;
using engine::drift_verdict;
using traffic::routing;

const std::string kUrl = "https://shop.example/hostname";

identity_result answered(colour c) { return identity_seen{c}; }

engine::reality_look seen(std::optional<routing> r, std::optional<identity_result> id = {}) {
  return engine::reality_look{std::move(r), std::move(id)};
}

TEST(RealityVerdict, AHandEditedLoadBalancerIsDriftSayingWhatDiffers) {
  auto v = engine::judge_reality("nginx", kUrl, routing::all_to(colour::green),
                                 seen(routing::all_to(colour::blue), answered(colour::blue)));
  ASSERT_EQ(v.verdict, drift_verdict::kind::drifted);
  EXPECT_EQ(v.reason,
            "nginx routes to blue but bluegreend recorded green as live (changed by hand?)");
}

TEST(RealityVerdict, AgreementIsNoDrift) {
  EXPECT_EQ(engine::judge_reality("nginx", kUrl, routing::all_to(colour::green),
                                  seen(routing::all_to(colour::green), answered(colour::green)))
                .verdict,
            drift_verdict::kind::agrees);
  // A canary as recorded, without an identity probe (both colours answer).
  auto canary = routing::decode("blue:90,green:10");
  EXPECT_EQ(engine::judge_reality("nginx", kUrl, canary, seen(canary)).verdict,
            drift_verdict::kind::agrees);
  // Nothing recorded yet: what the load balancer says is not contradicted.
  EXPECT_EQ(engine::judge_reality("nginx", kUrl, std::nullopt, seen(routing::all_to(colour::blue)))
                .verdict,
            drift_verdict::kind::agrees);
}

TEST(RealityVerdict, TheLoadBalancerAndTheIdentityDisagreeingComesFirst) {
  auto v = engine::judge_reality("nginx", kUrl, routing::all_to(colour::green),
                                 seen(routing::all_to(colour::green), answered(colour::blue)));
  ASSERT_EQ(v.verdict, drift_verdict::kind::drifted);
  EXPECT_EQ(v.reason, "nginx routes to green but " + kUrl + " is answered by blue");

  identity_result nobody =
      daemon::failure{daemon::failure::kind::unavailable, "unexpected_answer", "HTTP 502"};
  v = engine::judge_reality("command", kUrl, routing::all_to(colour::green),
                            seen(routing::all_to(colour::green), nobody));
  ASSERT_EQ(v.verdict, drift_verdict::kind::drifted);
  EXPECT_EQ(v.reason, kUrl + " did not answer with either identity (HTTP 502)");

  identity_result both = identity_seen{};
  v = engine::judge_reality("nginx", kUrl, routing::all_to(colour::green),
                            seen(routing::all_to(colour::green), both));
  EXPECT_EQ(v.reason, kUrl + " answers alternately with both colours' identities");
}

TEST(RealityVerdict, AnUnreadableLoadBalancerTellsNothingUnlessTheIdentityContradicts) {
  EXPECT_EQ(engine::judge_reality("nginx", kUrl, routing::all_to(colour::green),
                                  seen(std::nullopt, answered(colour::green)))
                .verdict,
            drift_verdict::kind::unknown);
  EXPECT_EQ(engine::judge_reality("nginx", kUrl, routing::all_to(colour::green), seen(std::nullopt))
                .verdict,
            drift_verdict::kind::unknown);
  auto v = engine::judge_reality("nginx", kUrl, routing::all_to(colour::green),
                                 seen(std::nullopt, answered(colour::blue)));
  ASSERT_EQ(v.verdict, drift_verdict::kind::drifted);
  EXPECT_EQ(v.reason, kUrl +
                          " is answered by blue but bluegreend recorded green as live "
                          "(changed by hand?)");
}

TEST(RealityVerdict, OperatorScriptsAreCalledTheLoadBalancer) {
  EXPECT_EQ(engine::load_balancer_name("nginx"), "nginx");
  EXPECT_EQ(engine::load_balancer_name("command"), "the load balancer");
}

TEST(RealityBackoff, DoublesWhileTheLoadBalancerFailsUpToFiveMinutes) {
  EXPECT_EQ(engine::next_look_after(10s, 0), 10s);
  EXPECT_EQ(engine::next_look_after(10s, 1), 20s);
  EXPECT_EQ(engine::next_look_after(10s, 2), 40s);
  EXPECT_EQ(engine::next_look_after(10s, 4), 160s);
  EXPECT_EQ(engine::next_look_after(10s, 5), 5min);
  EXPECT_EQ(engine::next_look_after(10s, 1000), 5min);
  // An interval longer than the cap is never shortened.
  EXPECT_EQ(engine::next_look_after(10min, 3), 10min);
  EXPECT_EQ(engine::next_look_after(200ms, 0), 200ms);
}

TEST(RealityBackoff, FirstLooksAreSpreadOverOneInterval) {
  EXPECT_EQ(engine::first_look_after(10s, 0, 60), 0ms);
  EXPECT_EQ(engine::first_look_after(10s, 30, 60), 5s);
  EXPECT_EQ(engine::first_look_after(10s, 59, 60), 9833ms);
  EXPECT_EQ(engine::first_look_after(10s, 0, 1), 0ms);
}

TEST(RealityHealth, TheSmokeChecksOrElseTheIdentityPath) {
  daemon::app_config app;
  app.identity_path = "/hostname";
  auto checks = engine::health_checks(app);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].path, "/hostname");
  EXPECT_EQ(checks[0].expect_body, "{identity}");
  daemon::check_config health;
  health.path = "/health";
  app.checks.push_back(health);
  ASSERT_EQ(engine::health_checks(app).size(), 1u);
  EXPECT_EQ(engine::health_checks(app)[0].path, "/health");
}

TEST(RealityConfig, TenSecondsByDefaultZeroTurnsItOff) {
  EXPECT_EQ(daemon::parse_config("", "t.toml").value->reality.interval, 10s);
  for (const char* off : {"interval = 0", "interval = \"0\"", "interval = \"0s\""}) {
    auto r = daemon::parse_config(std::string("[reality]\n") + off + "\n", "t.toml");
    ASSERT_TRUE(r.value) << off;
    EXPECT_EQ(r.value->reality.interval, 0ms) << off;
  }
  auto r = daemon::parse_config("[reality]\ninterval = \"250ms\"\n", "t.toml");
  ASSERT_TRUE(r.value);
  EXPECT_EQ(r.value->reality.interval, 250ms);
}

TEST(RealityConfig, BadIntervalsAreRefusedSayingWhatToWrite) {
  struct bad {
    const char* text;
    const char* says;
  };
  for (const auto& b :
       {bad{"interval = \"10\"", "is not a duration"}, bad{"interval = 10", "expected"},
        bad{"interval = \"50ms\"", "at least \"100ms\", or 0 to turn"},
        bad{"interval = \"2d\"", "too long"}, bad{"intervall = \"10s\"", "unknown key"}}) {
    auto r = daemon::parse_config(std::string("[reality]\n") + b.text + "\n", "t.toml");
    EXPECT_FALSE(r.value) << b.text;
    ASSERT_FALSE(r.errors.empty()) << b.text;
    EXPECT_EQ(r.errors[0].line, 2u) << b.text;
    EXPECT_NE(r.errors[0].key.find("reality.interval"), std::string::npos)
        << r.errors[0].to_string();
    EXPECT_NE(r.errors[0].message.find(b.says), std::string::npos) << r.errors[0].to_string();
  }
}

TEST(RealityLoadBalancers, EachIsNamedWithItsRoutingOrWhyItCouldNotBeRead) {
  daemon::app_config app;
  app.traffic.load_balancers.resize(2);
  app.traffic.load_balancers[0].name = "lb1";
  app.traffic.load_balancers[1].name = "lb2";
  std::vector<traffic::outcome> each = {
      traffic::outcome(routing::all_to(colour::green)),
      traffic::outcome(traffic::backend_failure("backend_failed", "cannot reach root@lb2"))};
  auto seen = engine::load_balancers_seen(app, each, "unused");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (engine::load_balancer_seen{"lb1", "green:100", std::nullopt}));
  EXPECT_EQ(seen[1], (engine::load_balancer_seen{"lb2", std::nullopt, "cannot reach root@lb2"}));
  // Without a backend to read them, each says why.
  auto none = engine::load_balancers_seen(app, {}, "not available in this version");
  ASSERT_EQ(none.size(), 2u);
  EXPECT_EQ(none[1].error, "not available in this version");
}

}  // namespace
}  // namespace bluegreen
