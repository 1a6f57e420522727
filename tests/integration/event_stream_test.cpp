// The event stream of the real bluegreend: a deploy and its switch appear
// as operation and app events in the order they happened, a client that
// reconnects with Last-Event-ID gets exactly the rest, the watch's switch
// back is there with its actor, and a graceful stop ends the stream.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>

#include "tests/support/http_client.hpp"
#include "tests/support/sse.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::eventually;
using bluegreen::testing::http_connection;
using bluegreen::testing::parse_sse;
using bluegreen::testing::sse_message;
using bluegreen::testing::world;
using nlohmann::json;

// An open event stream of `w`, its header read.
std::unique_ptr<http_connection> open_stream(world& w, const std::string& headers = "") {
  auto conn = std::make_unique<http_connection>("127.0.0.1", w.api_port());
  conn->send_raw("GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                 w.token() + "\r\n" + headers + "\r\n");
  auto head = conn->read_reply();
  if (!head || head->status != 200 || head->headers["content-type"] != "text/event-stream")
    throw std::runtime_error("the event stream did not open");
  return conn;
}

// Reads until a message satisfies `wanted`; returns every message so far.
std::vector<sse_message> read_until(http_connection& conn,
                                    const std::function<bool(const sse_message&)>& wanted) {
  bool found = conn.read_until(
      [&](const std::string& text) {
        for (const auto& m : parse_sse(text).messages)
          if (wanted(m)) return true;
        return false;
      },
      120s);
  if (!found) throw std::runtime_error("not in the stream: " + conn.received());
  return parse_sse(conn.received()).messages;
}

// Index of the first message from `from` on that satisfies `wanted`, or -1.
int find(const std::vector<sse_message>& ms, size_t from,
         const std::function<bool(const sse_message&)>& wanted) {
  for (size_t i = from; i < ms.size(); ++i)
    if (wanted(ms[i])) return static_cast<int>(i);
  return -1;
}

std::function<bool(const sse_message&)> op_event(const std::string& type, std::int64_t id,
                                                 const std::string& state) {
  return [=](const sse_message& m) {
    return m.event == type && m.data["operation_id"] == id && m.data.contains("operation") &&
           m.data["operation"]["state"] == state;
  };
}

std::function<bool(const sse_message&)> changed(const std::string& field, const json& to) {
  return [=](const sse_message& m) {
    if (m.event != "app.changed") return false;
    for (const auto& c : m.data.value("changes", json::array()))
      if (c["field"] == field && c["new"] == to) return true;
    return false;
  };
}

TEST(EventStream, ADeployAndItsSwitchAreEventsInOrderAndAReconnectGetsExactlyTheRest) {
  world w;
  std::string sha = w.commit_version("2.0.0");
  auto stream = open_stream(w);

  auto deployed = w.deploy("main");
  ASSERT_EQ(deployed["state"], "ready");
  std::int64_t deploy = deployed["id"];
  auto switched = w.switch_to();
  ASSERT_EQ(switched["state"], "succeeded");
  std::int64_t sw = switched["id"];
  auto ms = read_until(*stream, op_event("operation.finished", sw, "succeeded"));

  // Ids grow by one: nothing in between was left out.
  for (size_t i = 1; i < ms.size(); ++i) ASSERT_EQ(*ms[i].id, *ms[i - 1].id + 1);
  for (const auto& m : ms) EXPECT_EQ(m.data["id"], *m.id);
  for (const auto& m : ms) EXPECT_EQ(m.data["type"], m.event);

  // The deploy's start comes first; only what the reality loop saw (the
  // load balancer, the colours' health) may come before it: its first pass
  // races the deploy.
  int started = find(ms, 0, op_event("operation.started", deploy, "running"));
  ASSERT_GE(started, 0) << w.log_text(deploy);
  for (int i = 0; i < started; ++i) {
    ASSERT_EQ(ms[i].event, "app.changed") << ms[i].data.dump();
    for (const auto& c : ms[i].data["changes"]) {
      auto field = c["field"].get<std::string>();
      EXPECT_TRUE(field.starts_with("reality.") || field.ends_with(".health")) << ms[i].data.dump();
    }
  }
  EXPECT_EQ(ms[started].data["operation"]["kind"], "deploy");
  EXPECT_EQ(ms[started].data["operation"]["ref"], "main");
  int locked = find(ms, started, [&](const sse_message& m) {
    for (const auto& c : m.data.value("changes", json::array()))
      if (c["field"] == "operation_lock" && c["new"].is_object() &&
          c["new"]["operation_id"] == deploy)
        return true;
    return false;
  });
  int released = find(ms, started, changed("green.sha", sha));
  int ready = find(ms, started, op_event("operation.updated", deploy, "ready"));
  int sw_started = find(ms, ready, op_event("operation.started", sw, "running"));
  int live = find(ms, sw_started, [](const sse_message& m) {
    for (const auto& c : m.data.value("changes", json::array()))
      if (c["field"] == "live" && c["old"] == "blue" && c["new"] == "green") return true;
    return false;
  });
  int deploy_done = find(ms, live, op_event("operation.finished", deploy, "succeeded"));
  int sw_done = find(ms, live, op_event("operation.finished", sw, "succeeded"));
  EXPECT_GT(locked, started);
  EXPECT_GT(released, locked);
  EXPECT_GT(ready, released);
  EXPECT_EQ(ms[ready].data["previous_state"], "running");
  EXPECT_GT(sw_started, ready);
  EXPECT_GT(live, sw_started);
  EXPECT_GT(deploy_done, live);
  EXPECT_GT(sw_done, live);

  // A client that saw up to the deploy's "ready" comes back: it gets the
  // rest, exactly.
  auto again = open_stream(w, "Last-Event-ID: " + std::to_string(*ms[ready].id) + "\r\n");
  auto rest = read_until(*again, [&](const sse_message& m) { return m.id == ms.back().id; });
  // What the reality loop saw since may follow in the same read.
  while (!rest.empty() && rest.back().id != ms.back().id) rest.pop_back();
  ASSERT_EQ(rest.size(), ms.size() - static_cast<size_t>(ready) - 1);
  for (size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i].id, ms[static_cast<size_t>(ready) + 1 + i].id);
    EXPECT_EQ(rest[i].data, ms[static_cast<size_t>(ready) + 1 + i].data);
  }

  // A graceful stop ends the stream.
  w.daemon().signal(SIGTERM);
  EXPECT_TRUE(stream->wait_closed(30s));
  EXPECT_TRUE(again->wait_closed(30s));
}

TEST(EventStream, TheWatchsSwitchBackIsARollbackByTheWatch) {
  world w({"manual", "20s"});
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");
  auto stream = open_stream(w);
  auto r = w.api("POST", "/api/v1/apps/demo/switch", "{}");
  ASSERT_EQ(r.status, 202);
  std::int64_t sw = r.body["operation"]["id"];
  read_until(*stream, op_event("operation.finished", sw, "succeeded"));
  for (const auto& h : w.green_hosts()) std::ofstream(w.host_dir(h) / "unhealthy");

  auto ms = read_until(*stream, op_event("operation.updated", sw, "rolled_back"));
  int back = find(ms, 0, [](const sse_message& m) {
    return m.event == "operation.started" && m.data["operation"]["kind"] == "rollback";
  });
  ASSERT_GE(back, 0);
  EXPECT_EQ(ms[back].data["operation"]["actor"], "watch");
  std::int64_t rollback = ms[back].data["operation_id"];
  ms = read_until(*stream, op_event("operation.finished", rollback, "succeeded"));
  int live = find(ms, back, [](const sse_message& m) {
    for (const auto& c : m.data.value("changes", json::array()))
      if (c["field"] == "live" && c["old"] == "green" && c["new"] == "blue") return true;
    return false;
  });
  EXPECT_GT(live, back);
  // The app's change comes after the events of the operations that the
  // same commit ended (or earlier, if the reality loop saw green fail first).
  int sw_done = find(ms, 0, op_event("operation.finished", sw, "succeeded"));
  ASSERT_GE(sw_done, 0);
  auto after_switch = [&, failing = changed("green.health", "failing"), from = *ms[sw_done].id](
                          const sse_message& m) { return m.id && *m.id > from && failing(m); };
  ms = read_until(*stream, after_switch);
  int updated = find(ms, back, op_event("operation.updated", sw, "rolled_back"));
  ASSERT_GE(updated, 0);
  EXPECT_EQ(ms[updated].data["previous_state"], "succeeded");
}

}  // namespace

namespace {

// The dashboard's way in, with the real binary: signed in with a token, a
// deploy started from its own page is recorded as the dashboard's, and its
// log and the event stream follow with the cookie alone (an EventSource
// sends cookies, never an Authorization header), and signing out ends the
// stream.
TEST(EventStream, TheDashboardsSessionDeploysAndFollowsTheLogWithItsCookie) {
  world w;
  w.commit_version("2.0.0");
  auto signed_in = bluegreen::testing::http_request(w.api_port(), "POST", "/api/v1/session", "",
                                                    json({{"token", w.token()}}).dump(),
                                                    "Origin: http://127.0.0.1\r\n");
  ASSERT_TRUE(signed_in);
  ASSERT_EQ(signed_in->status, 200) << signed_in->body;
  std::smatch m;
  std::string set_cookie = signed_in->headers["set-cookie"];
  ASSERT_TRUE(std::regex_search(set_cookie, m, std::regex("^(bluegreen_session=[^;]+);")));
  std::string cookie = "Cookie: " + m[1].str() + "\r\n";

  auto events = std::make_unique<http_connection>("127.0.0.1", w.api_port());
  events->send_raw("GET /api/v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n" + cookie + "\r\n");
  auto head = events->read_reply();
  ASSERT_TRUE(head);
  ASSERT_EQ(head->status, 200);

  auto started = bluegreen::testing::http_request(
      w.api_port(), "POST", "/api/v1/apps/demo/deployments", "", R"({"ref":"main"})",
      cookie + "Origin: http://127.0.0.1\r\nSec-Fetch-Site: same-origin\r\n");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  auto op = json::parse(started->body)["operation"];
  EXPECT_EQ(op["channel"], "dashboard");
  std::int64_t id = op["id"];

  http_connection log("127.0.0.1", w.api_port());
  log.send_raw("GET /api/v1/deployments/" + std::to_string(id) +
               "/log?follow=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n" + cookie + "\r\n");
  std::string followed = log.read_until_closed(120s);
  EXPECT_EQ(followed.rfind("HTTP/1.1 200", 0), 0u) << followed.substr(0, 300);
  EXPECT_NE(followed.find("event: line"), std::string::npos) << followed.substr(0, 300);
  auto end = followed.find("event: end");
  ASSERT_NE(end, std::string::npos) << followed;
  auto data = followed.find("data: ", end);
  auto finished = json::parse(followed.substr(data + 6, followed.find('\n', data) - data - 6));
  EXPECT_EQ(finished["state"], "ready");
  EXPECT_EQ(finished["channel"], "dashboard");

  read_until(*events, op_event("operation.updated", id, "ready"));

  // Signing out ends the open stream too (at its next event or heartbeat).
  auto out = bluegreen::testing::http_request(w.api_port(), "DELETE", "/api/v1/session", "", "",
                                              cookie + "Origin: http://127.0.0.1\r\n");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204);
  EXPECT_EQ(w.switch_to()["state"], "succeeded");
  EXPECT_TRUE(events->wait_closed(60s));
}

}  // namespace
