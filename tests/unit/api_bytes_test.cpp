// What hosts print need not be UTF-8, and neither do request paths: every
// response stays valid JSON (invalid sequences shown as U+FFFD), so stored
// history stays readable, and paths that are not UTF-8 are refused.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <nlohmann/json.hpp>

#include "storage/operation_repository.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/collecting_writer.hpp"

namespace bluegreen::api {
namespace {

using nlohmann::json;

using testing::collecting_writer;

class ApiBytes : public ::testing::Test {
 protected:
  response get(const std::string& target, const std::string& token) {
    request req;
    req.method = "GET";
    req.target = target;
    if (!token.empty()) req.headers["authorization"] = "Bearer " + token;
    return stack_.call(req);
  }

  // A finished task whose output and error hold what a host printed: bytes
  // that are not UTF-8, and characters cut in the middle (a long-line cut, a
  // resolve error shortened by bytes).
  std::int64_t task_with_raw_output() {
    storage::operation_repository ops(*stack_.db);
    storage::new_operation op;
    op.app = "keepthescore";
    op.kind = storage::operation_kind::task;
    op.task = "migrate";
    op.ref = "ma\xffin";
    op.actor = "deployer";
    op.channel = "api";
    auto id = ops.create(op);
    ops.set_state(id, storage::operation_state::running);
    ops.append_log(id, "root@10.0.0.3", "stdout", "\377\376");
    ops.append_log(id, "root@10.0.0.3", "stdout", std::string(100, 'x') + "\xe2\x82");
    ops.append_log(id, "root@10.0.0.3", "stderr", "\xac tail of the cut character");
    ops.set_state(id, storage::operation_state::failed,
                  storage::operation_error{"task_failed",
                                           "cannot resolve main on root@10.0.0.3: fatal: \xc3"});
    return id;
  }

  // Parses strictly: nlohmann refuses invalid UTF-8 in its input.
  static json parse(const response& r) { return json::parse(r.body); }

  testing::api_stack stack_{BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml"};
};

TEST_F(ApiBytes, OutputThatIsNotUtf8StaysReadableEverywhere) {
  auto id = task_with_raw_output();
  std::string op_path = "/api/v1/deployments/" + std::to_string(id);

  auto one = get(op_path, stack_.reader);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(parse(one)["operation"]["error"],
            "cannot resolve main on root@10.0.0.3: fatal: \xef\xbf\xbd");

  auto log = get(op_path + "/log", stack_.reader);
  ASSERT_EQ(log.status, 200) << log.body;
  auto lines = parse(log)["lines"];
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["text"], "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(lines[1]["text"], std::string(100, 'x') + "\xef\xbf\xbd");

  auto list = get("/api/v1/apps/keepthescore/deployments", stack_.reader);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(parse(list)["operations"].size(), 1u);

  // The follow stream sends every line and then its end event.
  auto follow = get(op_path + "/log?follow=1", stack_.reader);
  ASSERT_EQ(follow.status, 200);
  ASSERT_TRUE(follow.stream);
  collecting_writer client;
  bool done = false;
  std::exception_ptr failure;
  boost::asio::co_spawn(stack_.io, follow.stream(client), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  stack_.io.restart();
  while (!done && stack_.io.run_one() > 0) {
  }
  ASSERT_TRUE(done);
  EXPECT_FALSE(failure);
  std::vector<std::string> events;
  for (size_t pos = 0; (pos = client.text.find("event: ", pos)) != std::string::npos;) {
    size_t end = client.text.find('\n', pos);
    events.push_back(client.text.substr(pos + 7, end - pos - 7));
    size_t data = client.text.find("data: ", end) + 6;
    size_t data_end = client.text.find('\n', data);
    EXPECT_NO_THROW(json::parse(client.text.substr(data, data_end - data)));
    pos = data_end;
  }
  EXPECT_EQ(events, (std::vector<std::string>{"line", "line", "line", "end"}));
}

TEST_F(ApiBytes, PathsThatAreNotUtf8AreRefused) {
  for (std::string target : {"/%ff", "/api/v1/apps/%ff", "/api/v1/apps/%ff/deployments",
                             "/api/v1/apps/keepthescore/deployments?before=%ff",
                             "/api/v1/apps/\xff", "/api/v1/deployments/%c3"}) {
    auto r = get(target, stack_.reader);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    EXPECT_EQ(parse(r)["error"]["code"], "bad_path") << target;
  }
  // Percent-encoded UTF-8 is still a name (none configured: 404).
  EXPECT_EQ(get("/api/v1/apps/caf%C3%A9", stack_.reader).status, 404);
}

}  // namespace
}  // namespace bluegreen::api
