// Pure rules of the engine and its backends: refs, templates, routing, and
// the nginx upstream file.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "daemon/config.hpp"
#include "daemon/engine/refs.hpp"
#include "daemon/engine/rules.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/template.hpp"
#include "daemon/traffic/nginx_backend.hpp"
#include "daemon/traffic/routing.hpp"

namespace bluegreen {
namespace {

using daemon::colour;

TEST(Refs, AcceptsBranchesTagsAndCommitIds) {
  for (const char* ok : {"main", "release/2026-11", "v1.2.3", "feature_x-y", "HEAD",
                         "0123456789abcdef0123456789abcdef01234567"})
    EXPECT_FALSE(engine::check_ref(ok)) << ok;
}

TEST(Refs, RefusesWhatAShellOrGitWouldMisread) {
  for (const std::string& bad : std::vector<std::string>{"",
                                                         "$(id)",
                                                         ";id",
                                                         "`id`",
                                                         "--upload-pack=x",
                                                         "-x",
                                                         "a b",
                                                         "main\nid",
                                                         "a..b",
                                                         "a//b",
                                                         "a/",
                                                         "/a",
                                                         "a.",
                                                         ".hidden",
                                                         "a/.b",
                                                         "x.lock",
                                                         "a.lock/b",
                                                         "a~1",
                                                         "a^2",
                                                         "a:b",
                                                         "a?",
                                                         "a*",
                                                         "a[",
                                                         "a\\b",
                                                         "a@{1}",
                                                         std::string(201, 'a')}) {
    EXPECT_TRUE(engine::check_ref(bad)) << bad;
  }
  EXPECT_NE(engine::check_ref("$(id)")->find("'$'"), std::string::npos);
}

TEST(Refs, CommitIdsAreFullHex) {
  EXPECT_TRUE(engine::is_commit_id(std::string(40, 'a')));
  EXPECT_TRUE(engine::is_commit_id(std::string(64, '0')));
  EXPECT_FALSE(engine::is_commit_id(std::string(39, 'a')));
  EXPECT_FALSE(engine::is_commit_id(std::string(40, 'g')));
  EXPECT_FALSE(engine::is_commit_id("fatal: bad revision"));
}

TEST(Template, QuotesValuesForShellsAndLeavesOtherBracesAlone) {
  daemon::template_values values = {{"ref", "it's"}, {"sha", "abc"}};
  EXPECT_EQ(daemon::expand("git rev-parse --verify {ref}^{commit}", values, true),
            "git rev-parse --verify 'it'\\''s'^{commit}");
  EXPECT_EQ(daemon::expand("{identity} at {sha}", {{"identity", "blue-production"}, {"sha", "abc"}},
                           false),
            "blue-production at abc");
  EXPECT_EQ(daemon::expand("{unclosed", values, true), "{unclosed");
}

traffic::routing split(int blue, int green) {
  return traffic::routing{{{colour::blue, blue}, {colour::green, green}}};
}

storage::app_record recorded(std::optional<std::string> live, std::optional<std::string> routing,
                             std::optional<std::string> previous) {
  storage::app_record app;
  app.name = "web";
  app.live = std::move(live);
  app.routing = std::move(routing);
  app.previous_live = std::move(previous);
  return app;
}

TEST(SwitchRules, GoesToTheOtherColourUnlessAColourOrWeightsAreAskedFor) {
  auto blue = traffic::routing::all_to(colour::blue);
  auto green = traffic::routing::all_to(colour::green);
  EXPECT_EQ(engine::switch_target(blue, std::nullopt, std::nullopt), green);
  EXPECT_EQ(engine::switch_target(green, std::nullopt, std::nullopt), blue);
  // From a canary, away from the colour with most of the traffic.
  EXPECT_EQ(engine::switch_target(split(90, 10), std::nullopt, std::nullopt), green);
  EXPECT_EQ(engine::switch_target(split(10, 90), std::nullopt, std::nullopt), blue);
  EXPECT_EQ(engine::switch_target({}, std::nullopt, std::nullopt), blue);
  EXPECT_EQ(engine::switch_target(blue, colour::blue, std::nullopt), blue);
  EXPECT_EQ(engine::switch_target(blue, std::nullopt, split(80, 20)), split(80, 20));
}

TEST(SwitchRules, RefusesNoChangeAndUnverifiedColoursUnlessForced) {
  auto blue = traffic::routing::all_to(colour::blue);
  auto green = traffic::routing::all_to(colour::green);
  auto app = recorded("blue", "blue:100", std::nullopt);
  auto same = engine::refuse_switch(blue, blue, app, true);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->code, "already_live");

  auto unverified = engine::refuse_switch(blue, green, app, false);
  ASSERT_TRUE(unverified);
  EXPECT_EQ(unverified->code, "not_verified");
  EXPECT_NE(unverified->message.find("green"), std::string::npos);
  EXPECT_FALSE(engine::refuse_switch(blue, green, app, true));

  app.green.verified = true;
  EXPECT_FALSE(engine::refuse_switch(blue, green, app, false));
  // The colour live before the last switch may take traffic back unverified.
  auto after_switch = recorded("green", "green:100", "blue");
  EXPECT_FALSE(engine::refuse_switch(green, blue, after_switch, false));
  // A colour that serves part of the traffic now may take all of it.
  EXPECT_FALSE(engine::refuse_switch(split(90, 10), green, app, false));
  // Nothing recorded yet: nothing to hold against the target.
  EXPECT_FALSE(engine::refuse_switch({}, green, std::nullopt, false));
}

TEST(RollbackRules, ReturnsToTheColourLiveBeforeTheLastSwitch) {
  auto plan = engine::plan_rollback("web", recorded("green", "green:100", "blue"));
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->to, colour::blue);
  EXPECT_EQ(plan->from, traffic::routing::all_to(colour::green));

  auto canary = engine::plan_rollback("web", recorded("blue", "blue:90,green:10", std::nullopt));
  ASSERT_TRUE(canary);
  EXPECT_EQ(canary->to, colour::blue);
  EXPECT_EQ(canary->from, split(90, 10));
}

TEST(RollbackRules, RefusesWhenNothingTellsWhereToGo) {
  auto unknown = engine::plan_rollback("web", std::nullopt);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "live_unknown");
  EXPECT_NE(unknown.error().message.find("web"), std::string::npos);
  auto not_recorded = engine::plan_rollback("web", recorded(std::nullopt, std::nullopt, "blue"));
  ASSERT_FALSE(not_recorded);
  EXPECT_EQ(not_recorded.error().code, "live_unknown");

  auto never_switched = engine::plan_rollback("web", recorded("blue", "blue:100", std::nullopt));
  ASSERT_FALSE(never_switched);
  EXPECT_EQ(never_switched.error().code, "nothing_to_roll_back");
  // The previous colour is live again already.
  auto back_already = engine::plan_rollback("web", recorded("blue", "blue:100", "blue"));
  ASSERT_FALSE(back_already);
  EXPECT_EQ(back_already.error().code, "nothing_to_roll_back");
}

TEST(WeightRules, TheMainColourHasMostOfTheTrafficBlueOnATie) {
  EXPECT_EQ(engine::main_colour(split(90, 10)), colour::blue);
  EXPECT_EQ(engine::main_colour(split(10, 90)), colour::green);
  EXPECT_EQ(engine::main_colour(split(50, 50)), colour::blue);
  EXPECT_EQ(engine::main_colour(traffic::routing::all_to(colour::green)), colour::green);
}

TEST(Routing, EncodesAndDecodes) {
  auto r = traffic::routing::decode("blue:90,green:10");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->weights.at(colour::green), 10);
  EXPECT_FALSE(r->single());
  EXPECT_EQ(r->describe(), "blue 90%, green 10%");
  EXPECT_EQ(traffic::routing::decode("green")->single(), colour::green);
  EXPECT_EQ(traffic::routing::decode("green:100,blue:0")->encode(), "green:100");
  EXPECT_FALSE(traffic::routing::decode("blue:50"));
  EXPECT_FALSE(traffic::routing::decode("red:100"));
  EXPECT_FALSE(traffic::routing::decode(""));
}

// Found by tests/fuzz/routing_fuzz: "blue:90,blue:4,green:1,..." decoded to
// weights that did not add up to 100.
TEST(Routing, RefusesAColourGivenTwice) {
  EXPECT_FALSE(traffic::routing::decode("blue:50,blue:50"));
  EXPECT_FALSE(traffic::routing::decode("blue:90,blue:4,green:1,blue:4,green:1"));
  EXPECT_EQ(traffic::routing::decode("blue:0,green:100")->encode(), "green:100");
}

class NginxFile : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = daemon::parse_config(R"(
[ssh]
identity = "/k"
[[app]]
name = "web"
public_url = "http://127.0.0.1:8080"
  [app.blue]
  hosts = ["10.0.0.2"]
  url = "http://10.0.0.2:8000"
  [app.green]
  hosts = ["10.0.0.3", "10.0.0.4"]
  url = "http://10.0.0.3:8000"
  [app.deploy]
  steps = ["true"]
  resolve = "true"
  [app.traffic]
  backend = "nginx"
  upstream_file = "/etc/nginx/web.conf"
  upstream_name = "web"
)",
                                       "t.toml");
    ASSERT_TRUE(loaded.value);
    cfg_ = loaded.value;
  }
  traffic::nginx_backend backend() {
    const auto& app = cfg_->apps[0];
    return traffic::nginx_backend(app, std::get<daemon::nginx_backend>(app.traffic.load_balancers.at(0).backend),
                                  runner_);
  }
  std::shared_ptr<const daemon::config> cfg_;
  boost::asio::io_context io_;
  ssh::runner runner_{io_, ssh::options{}, 1};  // render and parse run nothing
};

TEST_F(NginxFile, RendersOneColourAndReadsItBack) {
  auto b = backend();
  std::string file = b.render(traffic::routing::all_to(colour::green));
  EXPECT_NE(file.find("upstream web {"), std::string::npos);
  EXPECT_NE(file.find("server 10.0.0.3:8000;"), std::string::npos);
  EXPECT_NE(file.find("server 10.0.0.4:8000;"), std::string::npos);
  EXPECT_EQ(file.find("10.0.0.2"), std::string::npos);
  auto read = b.parse(file);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read.value().single(), colour::green);
}

TEST_F(NginxFile, WeightsGiveEachColourItsShareWhateverItsServerCount) {
  auto b = backend();
  auto canary = *traffic::routing::decode("blue:90,green:10");
  std::string file = b.render(canary);
  // blue: 1 server x 180 = 180; green: 2 servers x 10 = 20 -> 90% / 10%.
  EXPECT_NE(file.find("server 10.0.0.2:8000 weight=180;"), std::string::npos) << file;
  EXPECT_NE(file.find("server 10.0.0.3:8000 weight=10;"), std::string::npos) << file;
  auto read = b.parse(file);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read.value(), canary);
}

TEST_F(NginxFile, AnUnknownOrPartialServerListIsNotAColour) {
  auto b = backend();
  EXPECT_FALSE(b.parse("upstream web {\n server 10.9.9.9:8000;\n}\n").ok());
  EXPECT_FALSE(b.parse("upstream web {\n server 10.0.0.3:8000;\n}\n").ok());  // one of green's two
  EXPECT_FALSE(b.parse("upstream other {\n server 10.0.0.2:8000;\n}\n").ok());
  EXPECT_TRUE(b.parse("upstream web {\n  server 10.0.0.2:8000;  # blue\n}\n").ok());
}

// Weights of 0 divided by zero and huge weights overflowed when a file was
// read back (found with tests/fuzz/nginx_upstream_fuzz).
TEST_F(NginxFile, AWeightOutsideNginxsRangeIsAnErrorNotARouting) {
  auto b = backend();
  auto file = [](const std::string& blue, const std::string& green) {
    return "upstream web {\n server 10.0.0.2:8000 weight=" + blue +
           ";\n server 10.0.0.3:8000 weight=" + green + ";\n server 10.0.0.4:8000 weight=" + green +
           ";\n}\n";
  };
  for (const auto& [blue, green] : std::vector<std::pair<std::string, std::string>>{
           {"0", "0"}, {"-1", "1"}, {"9223372036854775807", "1"}, {"1x", "1"}, {"", "1"}}) {
    auto read = b.parse(file(blue, green));
    ASSERT_FALSE(read.ok()) << blue << "/" << green;
    EXPECT_NE(read.error().message.find("weight"), std::string::npos) << read.error().message;
  }
  auto read = b.parse(file("90", "5"));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read.value().encode(), "blue:90,green:10");
}

}  // namespace
}  // namespace bluegreen
