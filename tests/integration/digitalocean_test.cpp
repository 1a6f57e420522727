// The digitalocean traffic backend end to end: the real bluegreend binary,
// sshd, the demo apps, and the DigitalOcean test server holding the reserved
// IP (127.0.0.1:lb_port(), forwarded to the droplet it is assigned to). Each
// fault the API is known for ends with traffic where a read of the IP says
// it is, the same recorded, and a message that says what happened.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::eventually;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

constexpr std::int64_t kBlue = world::kBlueDroplet;
constexpr std::int64_t kGreen = world::kGreenDroplet;

std::string recorded_live(world& w) {
  auto app = w.api("GET", "/api/v1/apps/demo");
  return app.body["live"].is_null() ? "none" : app.body["live"].get<std::string>();
}

json holder(world& w) { return w.digitalocean("GET", "/state")["droplet_id"]; }

// The API requests the test server saw, as "METHOD target status" lines.
std::vector<std::string> requests(world& w) {
  std::vector<std::string> out;
  json state = w.digitalocean("GET", "/state");
  for (const auto& r : state["requests"])
    out.push_back(r["method"].get<std::string>() + " " + r["target"].get<std::string>() + " " +
                  std::to_string(r["status"].get<int>()));
  return out;
}

int count_posts(world& w) {
  int n = 0;
  for (const auto& r : requests(w))
    if (r.starts_with("POST ")) ++n;
  return n;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

void make_green_ready(world& w) {
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  w.digitalocean("POST", "/clear-log");
}

world_options with_digitalocean(unsigned action_ms = 300, std::string timeout = "20s") {
  world_options o;
  o.digitalocean = true;
  o.digitalocean_action_ms = action_ms;
  o.digitalocean_switch_timeout = std::move(timeout);
  return o;
}

TEST(DigitalOcean, DeploySwitchRollbackMoveTheReservedIp) {
  world w(with_digitalocean());
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());

  auto switched = w.switch_to();
  std::string log = w.log_text(switched["id"]);
  EXPECT_EQ(switched["state"], "succeeded") << log;
  EXPECT_EQ(holder(w), kGreen);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
  EXPECT_EQ(w.through_lb("/version"), "2.0.0");
  EXPECT_EQ(recorded_live(w), "green");
  EXPECT_NE(log.find("assign action #"), std::string::npos) << log;
  EXPECT_NE(log.find("is on droplet 3164445 (green)"), std::string::npos) << log;
  // One assign; the action followed until it completed, then the IP read.
  EXPECT_EQ(count_posts(w), 1) << joined(requests(w));
  auto seen = requests(w);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), "GET /v2/reserved_ips/127.0.0.1 200") << joined(seen);

  auto rolled = w.rollback();
  EXPECT_EQ(rolled["state"], "succeeded") << w.log_text(rolled["id"]);
  EXPECT_EQ(holder(w), kBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  EXPECT_EQ(recorded_live(w), "blue");
}

TEST(DigitalOcean, WeightedSwitchIsRefusedWith422) {
  world w(with_digitalocean());
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  auto r = w.api("POST", "/api/v1/apps/demo/switch", R"({"weights": {"green": 10}})");
  EXPECT_EQ(r.status, 422) << r.body.dump();
  EXPECT_EQ(r.body["error"]["code"], "weights_unsupported") << r.body.dump();
  std::string message = r.body["error"]["message"];
  EXPECT_NE(message.find("digitalocean backend cannot split traffic by weight"), std::string::npos)
      << message;
  EXPECT_EQ(count_posts(w), 0);
  EXPECT_EQ(holder(w), kBlue);
}

TEST(DigitalOcean, RefusedTokenFailsTheSwitchSayingSoWithoutTheToken) {
  world w(with_digitalocean());
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  std::string token;
  std::getline(std::ifstream(w.digitalocean_token_file()), token);
  w.digitalocean("POST", "/faults", R"({"fault": "unauthorized", "method": "POST"})");

  auto failed = w.switch_to();
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_EQ(failed["error_code"], "unauthorized");
  std::string error = failed["error"];
  EXPECT_NE(error.find("DigitalOcean refused the API token in the file"), std::string::npos)
      << error;
  EXPECT_NE(error.find("reserved_ip:update"), std::string::npos) << error;
  std::string log = w.log_text(failed["id"]);
  EXPECT_EQ(error.find(token), std::string::npos);
  EXPECT_EQ(log.find(token), std::string::npos) << log;
  EXPECT_EQ(w.daemon().stderr_text().find(token), std::string::npos);
  EXPECT_EQ(count_posts(w), 1) << joined(requests(w));
  EXPECT_EQ(holder(w), kBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  EXPECT_EQ(recorded_live(w), "blue");

  // A token that is wrong for every request: nothing can be read, and the
  // switch is refused before anything changes.
  std::ofstream(w.digitalocean_token_file()) << "dop_v1_revoked\n";
  auto refused = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  EXPECT_EQ(refused.status, 409) << refused.body.dump();
  EXPECT_EQ(refused.body["error"]["code"], "live_unknown");
  std::string why = refused.body["error"]["message"];
  EXPECT_NE(why.find("invalid or expired"), std::string::npos) << why;
  EXPECT_EQ(why.find("dop_v1_revoked"), std::string::npos) << why;
  EXPECT_EQ(holder(w), kBlue);
}

TEST(DigitalOcean, ActionNotFoundFallsBackToReadingTheIp) {
  world w(with_digitalocean());
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  w.digitalocean("POST", "/faults", R"({"fault": "action_not_found", "count": -1})");
  auto switched = w.switch_to();
  std::string log = w.log_text(switched["id"]);
  EXPECT_EQ(switched["state"], "succeeded") << log;
  EXPECT_NE(log.find("is not found (404); following the reserved IP instead"), std::string::npos)
      << log;
  EXPECT_EQ(count_posts(w), 1) << joined(requests(w));
  EXPECT_EQ(holder(w), kGreen);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
  EXPECT_EQ(recorded_live(w), "green");
}

TEST(DigitalOcean, PendingEventIsWaitedForThenTheIpReadBeforeAssigningAgain) {
  world w(with_digitalocean());
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  w.digitalocean("POST", "/faults", R"({"fault": "pending"})");
  auto switched = w.switch_to();
  std::string log = w.log_text(switched["id"]);
  EXPECT_EQ(switched["state"], "succeeded") << log;
  EXPECT_NE(log.find("pending event"), std::string::npos) << log;
  auto seen = requests(w);
  int posts = 0;
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i].starts_with("POST ")) continue;
    ++posts;
    // Every assign is preceded by a read of the IP.
    ASSERT_GT(i, 0u);
    EXPECT_EQ(seen[i - 1], "GET /v2/reserved_ips/127.0.0.1 200") << joined(seen);
  }
  EXPECT_EQ(posts, 2) << joined(seen);
  EXPECT_EQ(holder(w), kGreen);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
}

TEST(DigitalOcean, RateLimitHonoursRetryAfterAndReadsTheIpFirst) {
  world w(with_digitalocean());
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  w.digitalocean("POST", "/faults",
                 R"({"fault": "rate_limited", "method": "POST", "retry_after": 1})");
  auto switched = w.switch_to();
  std::string log = w.log_text(switched["id"]);
  EXPECT_EQ(switched["state"], "succeeded") << log;
  EXPECT_NE(log.find("rate limited (429); trying again in 1s"), std::string::npos) << log;
  auto seen = requests(w);
  auto limited = std::find(seen.begin(), seen.end(), "POST /v2/reserved_ips/127.0.0.1/actions 429");
  ASSERT_NE(limited, seen.end()) << joined(seen);
  ASSERT_NE(limited + 1, seen.end());
  EXPECT_EQ(*(limited + 1), "GET /v2/reserved_ips/127.0.0.1 200") << joined(seen);
  EXPECT_EQ(count_posts(w), 2) << joined(seen);
  EXPECT_EQ(holder(w), kGreen);
}

TEST(DigitalOcean, ServerErrorOnAnAssignThatWorkedIsNotRepeated) {
  world w(with_digitalocean());
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  // The assign is carried out, but its answer is a 500.
  w.digitalocean("POST", "/faults",
                 R"({"fault": "server_error", "method": "POST", "apply": true})");
  auto switched = w.switch_to();
  std::string log = w.log_text(switched["id"]);
  EXPECT_EQ(switched["state"], "succeeded") << log;
  EXPECT_NE(log.find("500 server_error"), std::string::npos) << log;
  EXPECT_EQ(count_posts(w), 1) << joined(requests(w));
  EXPECT_EQ(holder(w), kGreen);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
  EXPECT_EQ(recorded_live(w), "green");
}

TEST(DigitalOcean, ServerErrorsBeyondTheBoundFailAndTrafficStays) {
  world w(with_digitalocean());
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  w.digitalocean("POST", "/faults", R"({"fault": "server_error", "method": "POST", "count": 100})");
  auto failed = w.switch_to();
  EXPECT_EQ(failed["state"], "failed");
  std::string error = failed["error"];
  EXPECT_NE(error.find("DigitalOcean answered 500 server_error"), std::string::npos) << error;
  EXPECT_NE(error.find("held by droplet 3164444 (blue)"), std::string::npos) << error;
  // The first assign and four more, each after reading the IP.
  EXPECT_EQ(count_posts(w), 5) << joined(requests(w));
  EXPECT_EQ(holder(w), kBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  EXPECT_EQ(recorded_live(w), "blue");
}

TEST(DigitalOcean, ErroredActionFailsAndTrafficStays) {
  world w(with_digitalocean());
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  w.digitalocean("POST", "/faults", R"({"fault": "errored"})");
  auto failed = w.switch_to();
  EXPECT_EQ(failed["state"], "failed");
  std::string error = failed["error"];
  EXPECT_NE(error.find("ended errored"), std::string::npos) << error;
  EXPECT_NE(error.find("held by droplet 3164444 (blue)"), std::string::npos) << error;
  EXPECT_EQ(count_posts(w), 1) << joined(requests(w));
  EXPECT_EQ(holder(w), kBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
  EXPECT_EQ(recorded_live(w), "blue");
}

TEST(DigitalOcean, ActionStuckInProgressFailsAtTheSwitchDeadline) {
  world w(with_digitalocean(300, "2s"));
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  w.digitalocean("POST", "/faults", R"({"fault": "stuck"})");
  auto failed = w.switch_to();
  EXPECT_EQ(failed["state"], "failed");
  std::string error = failed["error"];
  EXPECT_NE(error.find("still in progress after 2s (switch_timeout)"), std::string::npos) << error;
  EXPECT_NE(error.find("held by droplet 3164444 (blue) for now"), std::string::npos) << error;
  EXPECT_EQ(count_posts(w), 1) << joined(requests(w));
  // What is recorded is what a read of the IP shows.
  EXPECT_EQ(holder(w), kBlue);
  EXPECT_EQ(recorded_live(w), "blue");
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

TEST(DigitalOcean, UnassignedOrForeignDropletIsReportedAsSuch) {
  world w(with_digitalocean());
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  w.digitalocean("POST", "/assign", R"({"droplet_id": null})");
  auto refused = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  EXPECT_EQ(refused.status, 409) << refused.body.dump();
  std::string why = refused.body["error"]["message"];
  EXPECT_NE(why.find("the reserved IP 127.0.0.1 is not assigned to any droplet"), std::string::npos)
      << why;
  EXPECT_EQ(count_posts(w), 0);

  // Assigned by hand to a droplet of neither colour.
  w.digitalocean("POST", "/assign", R"({"droplet_id": 3164446})");
  auto foreign = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  EXPECT_EQ(foreign.status, 409) << foreign.body.dump();
  std::string which = foreign.body["error"]["message"];
  EXPECT_NE(which.find("is assigned to droplet 3164446 \"staging\", which is neither blue's "
                       "(3164444) nor green's (3164445)"),
            std::string::npos)
      << which;
  EXPECT_EQ(count_posts(w), 0);

  // "force" routes it anyway, to the colour asked for.
  auto forced = w.api("POST", "/api/v1/apps/demo/switch", R"({"to": "green", "force": true})");
  ASSERT_EQ(forced.status, 202) << forced.body.dump();
  auto done = w.follow(forced.body["operation"]["id"]);
  EXPECT_EQ(done["state"], "succeeded") << w.log_text(done["id"]);
  EXPECT_EQ(holder(w), kGreen);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
}

TEST(DigitalOcean, ReservedIpUnknownToTheTokenIsReportedAsSuch) {
  auto options = with_digitalocean();
  options.digitalocean_reserved_ip = "127.0.0.99";
  world w(options);
  auto refused = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  EXPECT_EQ(refused.status, 409) << refused.body.dump();
  EXPECT_EQ(refused.body["error"]["code"], "live_unknown");
  std::string why = refused.body["error"]["message"];
  EXPECT_NE(why.find("DigitalOcean has no reserved IP 127.0.0.99 for this token (404 not_found"),
            std::string::npos)
      << why;
  EXPECT_EQ(count_posts(w), 0);
  EXPECT_EQ(holder(w), kBlue);
}

TEST(DigitalOcean, CrashBetweenAssignAndCompletionIsReconciledWithTheIp) {
  world w(with_digitalocean());
  make_green_ready(w);
  ASSERT_FALSE(testing::Test::HasFatalFailure());
  // The assign stays in progress until the test lets it complete.
  w.digitalocean("POST", "/faults", R"({"fault": "stuck"})");
  auto r = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  ASSERT_EQ(r.status, 202) << r.body.dump();
  std::int64_t id = r.body["operation"]["id"];
  ASSERT_TRUE(eventually([&] { return count_posts(w) == 1; }, 60s));
  w.kill_daemon();
  EXPECT_EQ(w.digitalocean("GET", "/state")["locked"], true);
  EXPECT_EQ(holder(w), kBlue);

  // The restarted daemon finds the IP locked; the action completes while
  // its recovery looks.
  w.digitalocean("POST", "/clear-log");
  std::thread complete([&] {
    eventually([&] { return !requests(w).empty(); }, 60s);
    w.digitalocean("POST", "/release");
  });
  w.start_daemon();
  complete.join();
  // Recovery recorded where the action left the IP, without assigning again.
  EXPECT_EQ(holder(w), kGreen);
  EXPECT_EQ(recorded_live(w), "green");
  auto app = w.api("GET", "/api/v1/apps/demo");
  EXPECT_FALSE(app.body["drifted"].get<bool>()) << app.body.dump();
  EXPECT_EQ(count_posts(w), 0) << joined(requests(w));
  auto op = w.api("GET", "/api/v1/deployments/" + std::to_string(id));
  EXPECT_EQ(op.body["operation"]["state"], "interrupted") << op.body.dump();
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");

  // And the app goes on: a switch back through the same IP (the
  // interrupted switch recorded no previous colour to roll back to).
  auto back = w.switch_to(R"({"to": "blue", "force": true})");
  EXPECT_EQ(back["state"], "succeeded") << w.log_text(back["id"]);
  EXPECT_EQ(holder(w), kBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

// examples/bluegreen.toml as shipped, run against the DigitalOcean test
// server: the world's two "droplets" (blue-production on 127.0.0.2, green-
// production on 127.0.0.3, the example's droplet ids) behind the reserved IP
// 203.0.113.7, which the test server forwards on loopback. Only what must
// differ on this machine is rewritten, each line on its own below; the
// token stays a systemd credential, as the example has it.
TEST(DigitalOcean, TheExampleConfigurationSwitchesTheReservedIp) {
  world_options options = with_digitalocean();
  options.digitalocean_reserved_ip = "203.0.113.7";
  options.digitalocean_held_ip = "203.0.113.7";
  world w(options);
  w.kill_daemon();  // the example's daemon takes its place

  const std::string port = std::to_string(w.app_port());
  const std::vector<std::pair<std::string, std::string>> rewrites = {
      {R"(listen = "127.0.0.1:8765")", R"(listen = "127.0.0.1:0")"},
      {R"(state_dir = "/var/lib/bluegreen")",
       "state_dir = \"" + (w.root() / "example-state").string() + "\""},
      {R"(public_url = "https://keepthescore.co")",
       "public_url = \"http://127.0.0.1:" + std::to_string(w.lb_port()) + "\""},
      {R"(url = "http://10.0.0.2:8000")", "url = \"http://127.0.0.2:" + port + "\""},
      {R"(url = "http://10.0.0.3:8000")", "url = \"http://127.0.0.3:" + port + "\""},
      {"# api_url and ca_file point at another API server, for testing only.",
       "api_url = \"" + w.digitalocean_api_url() + "\"\n  ca_file = \"" +
           w.digitalocean_ca_file().string() + "\""},
  };
  std::string config =
      bluegreen::testing::read_file(BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml");
  for (const auto& [from, to] : rewrites) {
    auto at = config.find(from);
    ASSERT_NE(at, std::string::npos) << "the example no longer has: " << from;
    config.replace(at, from.size(), to);
  }
  std::ofstream(w.root() / "example.toml") << config;
  std::filesystem::create_directories(w.root() / "credentials");
  std::filesystem::copy_file(w.digitalocean_token_file(),
                             w.root() / "credentials/digitalocean-token");
  const std::string config_file = (w.root() / "example.toml").string();

  auto checked =
      bluegreen::testing::run_command({BLUEGREEN_BINARY, "check-config", "--config", config_file});
  ASSERT_EQ(checked.status, 0) << checked.err;
  auto created = bluegreen::testing::run_command({BLUEGREEN_BINARY, "token", "create", "founder",
                                                  "--scope", "deploy", "--config", config_file});
  ASSERT_EQ(created.status, 0) << created.err;
  std::string token = created.out.substr(0, created.out.find('\n'));

  bluegreen::testing::child_process daemon(
      {BLUEGREEN_BINARY, "run", "--config", config_file},
      {w.marker().assignment(), "CREDENTIALS_DIRECTORY=" + (w.root() / "credentials").string()});
  auto listening = daemon.wait_for_stderr("listening on", 60s);
  ASSERT_TRUE(listening) << daemon.stderr_text();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*listening, m, std::regex("127\\.0\\.0\\.1:([0-9]+)")));
  auto api_port = static_cast<std::uint16_t>(std::stoi(m[1]));
  ASSERT_TRUE(daemon.wait_for_stderr("recovery finished", 60s)) << daemon.stderr_text();
  auto api = [&](const std::string& method, const std::string& path, const std::string& body = "") {
    auto r = bluegreen::testing::http_request(api_port, method, path, token, body);
    if (!r) throw std::runtime_error(method + " " + path + ": no answer");
    return std::make_pair(r->status, json::parse(r->body.empty() ? "null" : r->body));
  };
  auto finished = [&](std::int64_t id) {
    json op;
    eventually(
        [&] {
          op = api("GET", "/api/v1/deployments/" + std::to_string(id)).second["operation"];
          return op["state"] != "running" && op["state"] != "queued";
        },
        60s);
    return op;
  };

  // The daemon read the reserved IP: blue's droplet holds it.
  auto [status, app] = api("GET", "/api/v1/apps/keepthescore");
  ASSERT_EQ(status, 200) << app.dump();
  EXPECT_EQ(app["live"], "blue") << app.dump();
  EXPECT_EQ(app["traffic"]["reserved_ip"], "203.0.113.7");
  EXPECT_EQ(holder(w), kBlue);

  // The founder's first switch: green-production was set up by hand, so
  // bluegreend has no verified release there ("force").
  auto started =
      api("POST", "/api/v1/apps/keepthescore/switch", R"({"to": "green", "force": true})");
  ASSERT_EQ(started.first, 202) << started.second.dump();
  json op = finished(started.second["operation"]["id"]);
  EXPECT_EQ(op["state"], "succeeded") << op.dump() << daemon.stderr_text();
  EXPECT_EQ(holder(w), kGreen);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
  EXPECT_EQ(api("GET", "/api/v1/apps/keepthescore").second["live"], "green");

  // And back.
  auto back = api("POST", "/api/v1/apps/keepthescore/rollback", "{}");
  ASSERT_EQ(back.first, 202) << back.second.dump();
  EXPECT_EQ(finished(back.second["operation"]["id"])["state"], "succeeded");
  EXPECT_EQ(holder(w), kBlue);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

}  // namespace
