// The DigitalOcean backend's reading of the API's answers (the documented
// shapes, and what is not them) and its configuration keys.
#include "daemon/traffic/digitalocean_api.hpp"

#include <gtest/gtest.h>

#include "daemon/config.hpp"

namespace bluegreen::traffic::digitalocean {
namespace {

using namespace std::chrono_literals;

// The spec's example, with a full droplet as the API sends it.
const char* kAssigned = R"({"reserved_ip":{"ip":"45.55.96.47","region":{"name":"New York 3",
  "slug":"nyc3","features":["private_networking"],"available":true,"sizes":["s-1vcpu-1gb"]},
  "droplet":{"id":3164445,"name":"green-production","memory":1024,"vcpus":1,"disk":25,
  "locked":false,"status":"active","networks":{"v4":[],"v6":[]}},
  "locked":false,"project_id":"746c6152-2fa2-11ed-92d3-27aaa54e4988"},"links":{}})";

TEST(DigitalOceanApi, ReservedIpNamesTheDropletThatHoldsIt) {
  auto ip = parse_reserved_ip(kAssigned);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->droplet_id, 3164445);
  EXPECT_EQ(ip->droplet_name, "green-production");
  EXPECT_FALSE(ip->locked);
}

TEST(DigitalOceanApi, UnassignedAndLockedReservedIp) {
  auto ip = parse_reserved_ip(
      R"({"reserved_ip":{"ip":"45.55.96.47","region":{},"droplet":null,"locked":true}})");
  ASSERT_TRUE(ip);
  EXPECT_FALSE(ip->droplet_id);
  EXPECT_TRUE(ip->locked);
}

TEST(DigitalOceanApi, WhatIsNotAReservedIpIsRefused) {
  EXPECT_FALSE(parse_reserved_ip("<html>502 Bad Gateway</html>"));
  EXPECT_FALSE(parse_reserved_ip(R"({"floating_ip":{"droplet":null}})"));
  EXPECT_FALSE(parse_reserved_ip(R"({"reserved_ip":{"droplet":{"id":"3164445"}}})"));
  EXPECT_FALSE(parse_reserved_ip(R"({"reserved_ip":{"droplet":42}})"));
}

TEST(DigitalOceanApi, ActionStatusAndId) {
  auto a = parse_action(R"({"action":{"id":72531856,"status":"completed","type":"assign_ip",
    "started_at":"2015-11-12T17:51:03Z","completed_at":"2015-11-12T17:51:14Z",
    "resource_id":758604968,"resource_type":"floating_ip","region":{},"region_slug":"nyc3"}})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, 72531856);
  EXPECT_EQ(a->status, "completed");
  EXPECT_EQ(a->type, "assign_ip");
  // The documented default status.
  auto fresh = parse_action(R"({"action":{"id":1,"completed_at":null,"resource_id":null}})");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, "in-progress");
  EXPECT_FALSE(parse_action(
      R"({"id":"not_found","message":"The resource you requested could not be found."})"));
  EXPECT_FALSE(parse_action(R"({"action":{"id":null}})"));
}

TEST(DigitalOceanApi, ErrorBodyAndRequestId) {
  auto e = parse_error(R"({"id":"unauthorized","message":"Unable to authenticate you."})",
                       {{"X-Request-Id", "4d9d8375-3c56-4925-a3e7-eb137fed17e9"}});
  EXPECT_EQ(e.id, "unauthorized");
  EXPECT_EQ(e.message, "Unable to authenticate you.");
  EXPECT_EQ(e.request_id, "4d9d8375-3c56-4925-a3e7-eb137fed17e9");
  auto own = parse_error(R"({"id":"not_found","message":"x","request_id":"abc"})",
                         {{"x-request-id", "other"}});
  EXPECT_EQ(own.request_id, "abc");
  // A proxy's page instead of the API's body: its start, on one line.
  auto html = parse_error("<html>\n<b>502</b></html>", {});
  EXPECT_TRUE(html.id.empty());
  EXPECT_EQ(html.message.find('\n'), std::string::npos);
  EXPECT_NE(html.message.find("502"), std::string::npos);
}

TEST(DigitalOceanApi, PendingEventIsA422SayingSo) {
  api_error pending{"unprocessable_entity", "The reserved IP already has a pending event.", ""};
  EXPECT_TRUE(is_pending_event(422, pending));
  api_error droplet{"unprocessable_entity", "Droplet already has a pending event", ""};
  EXPECT_TRUE(is_pending_event(422, droplet));
  api_error validation{"unprocessable_entity", "request payload validation failed", ""};
  EXPECT_FALSE(is_pending_event(422, validation));
  EXPECT_FALSE(is_pending_event(500, pending));
}

TEST(DigitalOceanApi, RateLimitWaitHonoursRetryAfterThenReset) {
  auto burst = parse_rate_limit(
      {{"retry-after", "29"}, {"RateLimit-Remaining", "0"}, {"ratelimit-reset", "1700000100"}});
  EXPECT_EQ(burst.retry_after, 29);
  EXPECT_EQ(rate_limit_wait(burst, 1700000000, 1s), 29s);
  auto hourly = parse_rate_limit({{"ratelimit-remaining", "0"}, {"ratelimit-reset", "1700000100"}});
  EXPECT_FALSE(hourly.retry_after);
  EXPECT_EQ(rate_limit_wait(hourly, 1700000000, 1s), 100s);
  auto left = parse_rate_limit({{"ratelimit-remaining", "4999"}, {"retry-after", "soon"}});
  EXPECT_FALSE(left.retry_after);
  EXPECT_EQ(rate_limit_wait(left, 1700000000, 2s), 2s);
}

TEST(DigitalOceanApi, AssignBodyIsTheDocumentedBytes) {
  EXPECT_EQ(assign_body(8219222), R"({"droplet_id":8219222,"type":"assign"})");
}

// [app.traffic] for the digitalocean backend, with `extra` lines.
std::string config_with(const std::string& extra) {
  return R"([server]
listen = "127.0.0.1:8765"
state_dir = "/var/lib/bluegreen"
[ssh]
identity = "/var/lib/bluegreen/id_ed25519"
[[app]]
name = "web"
public_url = "http://203.0.113.7"
  [app.blue]
  hosts = ["deploy@10.0.0.2"]
  url = "http://10.0.0.2:8000"
  [app.green]
  hosts = ["deploy@10.0.0.3"]
  url = "http://10.0.0.3:8000"
  [app.deploy]
  steps = ["true"]
  resolve = "echo 0123456789abcdef0123456789abcdef01234567"
  [app.traffic]
  backend = "digitalocean"
  reserved_ip = "203.0.113.7"
  token = { file = "/etc/bluegreen/do-token" }
  blue_droplet_id = 3164444
  green_droplet_id = 3164445
)" + extra;
}

TEST(DigitalOceanConfig, DefaultsAndTestingKeys) {
  auto plain = daemon::parse_config(config_with(""), "t.toml");
  ASSERT_TRUE(plain.value);
  const auto& d = std::get<daemon::digitalocean_backend>(plain.value->apps[0].traffic.load_balancers.at(0).backend);
  EXPECT_EQ(d.api_url, "https://api.digitalocean.com");
  EXPECT_TRUE(d.ca_file.empty());
  EXPECT_EQ(d.switch_timeout, 120s);
  EXPECT_EQ(d.poll_interval, 1s);
  EXPECT_FALSE(plain.value->apps[0].traffic.supports_weights());

  auto local = daemon::parse_config(
      config_with("  api_url = \"https://127.0.0.1:8443/\"\n  ca_file = \"/tmp/ca.pem\"\n"
                  "  switch_timeout = \"30s\"\n  poll_interval = \"250ms\"\n"),
      "t.toml");
  for (const auto& e : local.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(local.value);
  const auto& l = std::get<daemon::digitalocean_backend>(local.value->apps[0].traffic.load_balancers.at(0).backend);
  EXPECT_EQ(l.api_url, "https://127.0.0.1:8443");
  EXPECT_EQ(l.ca_file, "/tmp/ca.pem");
  EXPECT_EQ(l.switch_timeout, 30s);
  EXPECT_EQ(l.poll_interval, 250ms);
}

TEST(DigitalOceanConfig, PlainHttpOnlyToLoopback) {
  for (const char* ok : {"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"}) {
    auto r = daemon::parse_config(config_with("  api_url = \"" + std::string(ok) + "\"\n"), "t");
    EXPECT_TRUE(r.value) << ok;
  }
  for (const char* bad :
       {"http://api.digitalocean.com", "http://10.0.0.1:8080", "http://127.0.0.1.example.com"}) {
    auto r = daemon::parse_config(config_with("  api_url = \"" + std::string(bad) + "\"\n"), "t");
    EXPECT_FALSE(r.value) << bad;
    ASSERT_FALSE(r.errors.empty());
    EXPECT_EQ(r.errors[0].key, "app[0].traffic.api_url");
    EXPECT_NE(r.errors[0].message.find("is not https://"), std::string::npos)
        << r.errors[0].message;
  }
}

}  // namespace
}  // namespace bluegreen::traffic::digitalocean
