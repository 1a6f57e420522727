// GET /api/v1/events/stream through the API application (no sockets): who
// may read it, reconnecting with Last-Event-ID or ?after= without missing or
// repeating an event, the reset event when what a client missed is no
// longer kept, the app filter, heartbeats on an idle stream, and the end of
// every stream at a graceful stop.
#include "api/event_stream.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <nlohmann/json.hpp>

#include "storage/event_repository.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/collecting_writer.hpp"
#include "tests/support/sse.hpp"

namespace bluegreen::api {
namespace {

using nlohmann::json;
using testing::parse_sse;

using testing::collecting_writer;

// A stream running on the stack's io_context.
struct running_stream {
  explicit running_stream(response answered) : r(std::move(answered)) {}
  response r;
  collecting_writer client;
  bool ended = false;
};

class EventStream : public ::testing::Test {
 protected:
  response get(const std::string& target, const std::string& token,
               std::map<std::string, std::string> headers = {}) {
    request req;
    req.method = "GET";
    req.target = target;
    req.headers = std::move(headers);
    if (!token.empty()) req.headers["authorization"] = "Bearer " + token;
    return stack_.call(req);
  }

  void start(running_stream& s) {
    ASSERT_TRUE(s.r.stream);
    boost::asio::co_spawn(stack_.io, s.r.stream(s.client), [&s](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      s.ended = true;
    });
  }

  // Runs the loop until `done` holds (false after the deadline).
  bool run_until(const std::function<bool()>& done) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    stack_.io.restart();
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      stack_.io.run_one_for(std::chrono::milliseconds(100));
    }
    return true;
  }

  static std::vector<std::int64_t> ids(const running_stream& s) {
    std::vector<std::int64_t> out;
    for (const auto& m : parse_sse(s.client.text).messages) out.push_back(m.id.value_or(-1));
    return out;
  }

  void lock_and_unlock() {
    request lock;
    lock.method = "POST";
    lock.target = "/api/v1/apps/keepthescore/lock";
    lock.headers["authorization"] = "Bearer " + stack_.deployer;
    lock.body = R"({"reason": "release freeze"})";
    ASSERT_EQ(stack_.call(lock).status, 201);
    request unlock = lock;
    unlock.method = "DELETE";
    unlock.body.clear();
    ASSERT_EQ(stack_.call(unlock).status, 200);
  }

  // A graceful stop ends every stream.
  void stop_and_wait(std::vector<running_stream*> streams) {
    stack_.core->begin_stop([] {});
    ASSERT_TRUE(run_until([&] {
      for (auto* s : streams)
        if (!s->ended) return false;
      return true;
    }));
  }

  testing::api_stack stack_{BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml"};
};

TEST_F(EventStream, NeedsAReadTokenAndSendsEventStream) {
  EXPECT_EQ(get("/api/v1/events/stream", "").status, 401);
  EXPECT_EQ(get("/api/v1/events/stream", "not-a-token").status, 401);
  running_stream s{get("/api/v1/events/stream", stack_.reader)};
  EXPECT_EQ(s.r.status, 200);
  EXPECT_EQ(s.r.content_type, "text/event-stream");
  start(s);
  lock_and_unlock();
  ASSERT_TRUE(run_until([&] { return parse_sse(s.client.text).messages.size() == 2; }));
  auto body = parse_sse(s.client.text);
  EXPECT_EQ(body.messages[0].event, "app.changed");
  EXPECT_EQ(body.messages[0].data["app"], "keepthescore");
  EXPECT_EQ(body.messages[0].data["changes"][0]["field"], "manual_lock");
  EXPECT_EQ(body.messages[0].data["changes"][0]["new"]["reason"], "release freeze");
  EXPECT_EQ(body.messages[1].data["changes"][0]["new"], nullptr);
  stop_and_wait({&s});
}

TEST_F(EventStream, AReconnectingClientMissesNothingAndGetsNothingTwice) {
  lock_and_unlock();
  lock_and_unlock();  // events 1 to 4
  running_stream first{get("/api/v1/events/stream?after=0", stack_.reader)};
  start(first);
  ASSERT_TRUE(run_until([&] { return ids(first).size() == 4; }));
  EXPECT_EQ(ids(first), (std::vector<std::int64_t>{1, 2, 3, 4}));

  // The header wins over ?after= (an EventSource reconnecting keeps its URL).
  running_stream again{
      get("/api/v1/events/stream?after=0", stack_.reader, {{"last-event-id", "2"}})};
  start(again);
  running_stream by_query{get("/api/v1/events/stream?after=3", stack_.reader)};
  start(by_query);
  lock_and_unlock();  // 5 and 6, while all three are open
  ASSERT_TRUE(run_until([&] {
    return ids(first).size() == 6 && ids(again).size() == 4 && ids(by_query).size() == 3;
  }));
  stop_and_wait({&first, &again, &by_query});
  EXPECT_EQ(ids(first), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(ids(again), (std::vector<std::int64_t>{3, 4, 5, 6}));
  EXPECT_EQ(ids(by_query), (std::vector<std::int64_t>{4, 5, 6}));
  // Without an id a stream starts with what happens next.
  running_stream fresh{get("/api/v1/events/stream", stack_.reader)};
  start(fresh);
  ASSERT_TRUE(run_until([&] { return fresh.ended; }));
  EXPECT_TRUE(ids(fresh).empty());
}

TEST_F(EventStream, AnIdOlderThanWhatIsKeptGetsAResetEvent) {
  // Ten events of which the newest two are kept, as pruning leaves them.
  storage::event_repository events(*stack_.db);
  for (int i = 0; i < 10; ++i) events.add({"app.changed", "keepthescore", std::nullopt, "{}"}, 2);

  running_stream behind{get("/api/v1/events/stream", stack_.reader, {{"last-event-id", "3"}})};
  start(behind);
  running_stream kept{get("/api/v1/events/stream?after=8", stack_.reader)};
  start(kept);
  running_stream future{get("/api/v1/events/stream?after=99", stack_.reader)};
  start(future);
  lock_and_unlock();  // 11 and 12
  ASSERT_TRUE(run_until(
      [&] { return ids(behind).size() == 3 && ids(kept).size() == 4 && ids(future).size() == 3; }));
  stop_and_wait({&behind, &kept, &future});

  auto b = parse_sse(behind.client.text).messages;
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].event, "reset");
  EXPECT_EQ(b[0].id, 10);  // goes on from the newest
  EXPECT_EQ(b[0].data["last_event_id"], 3);
  EXPECT_EQ(ids(behind), (std::vector<std::int64_t>{10, 11, 12}));
  EXPECT_EQ(ids(kept), (std::vector<std::int64_t>{9, 10, 11, 12}));
  EXPECT_EQ(parse_sse(future.client.text).messages[0].event, "reset");
}

TEST_F(EventStream, TheAppFilterSkipsOtherAppsAndBadParametersAreRefused) {
  storage::event_repository events(*stack_.db);
  events.add({"app.changed", "elsewhere", std::nullopt, "{}"}, 100);
  running_stream s{get("/api/v1/events/stream?after=0&app=keepthescore", stack_.reader)};
  start(s);
  for (int i = 0; i < 3; ++i) events.add({"app.changed", "elsewhere", std::nullopt, "{}"}, 100);
  lock_and_unlock();
  ASSERT_TRUE(run_until([&] { return ids(s).size() == 2; }));
  stop_and_wait({&s});
  EXPECT_EQ(ids(s), (std::vector<std::int64_t>{5, 6}));

  EXPECT_EQ(get("/api/v1/events/stream?app=nope", stack_.reader).status, 404);
  for (std::string bad : {"-1", "x", "1.5", "99999999999999999999999"}) {
    EXPECT_EQ(get("/api/v1/events/stream?after=" + bad, stack_.reader).status, 400) << bad;
    EXPECT_EQ(get("/api/v1/events/stream", stack_.reader, {{"last-event-id", bad}}).status, 400)
        << bad;
  }
}

TEST_F(EventStream, AStreamEndsOnceItsTokenIsRevoked) {
  auto secret = stack_.tokens->create("laptop", daemon::scope::read, "root");
  ASSERT_TRUE(secret);
  running_stream s{get("/api/v1/events/stream", secret.value())};
  start(s);
  lock_and_unlock();
  ASSERT_TRUE(run_until([&] { return ids(s).size() == 2; }));
  ASSERT_TRUE(stack_.tokens->revoke("laptop", "root"));
  // The token is asked again at most once a second: events go on until the
  // stream ends, and none reaches the client after that.
  ASSERT_TRUE(run_until([&] {
    if (!s.ended) lock_and_unlock();
    return s.ended;
  }));
  std::size_t when_ended = ids(s).size();
  lock_and_unlock();
  run_until([] { return true; });
  EXPECT_EQ(ids(s).size(), when_ended);
  // A new request with it is refused.
  EXPECT_EQ(get("/api/v1/events/stream", secret.value()).status, 401);
  stack_.core->begin_stop([] {});
}

TEST_F(EventStream, ARepeatedLastEventIdCountsItsLastValue) {
  lock_and_unlock();
  lock_and_unlock();  // events 1 to 4
  running_stream s{get("/api/v1/events/stream", stack_.reader, {{"last-event-id", "1, 3"}})};
  ASSERT_EQ(s.r.status, 200);
  start(s);
  ASSERT_TRUE(run_until([&] { return ids(s).size() == 1; }));
  stop_and_wait({&s});
  EXPECT_EQ(ids(s), (std::vector<std::int64_t>{4}));
}

TEST_F(EventStream, AnIdleStreamSendsHeartbeats) {
  auto handle = event_stream_handler(*stack_.core, {std::chrono::milliseconds(20)});
  request req;
  req.method = "GET";
  req.target = "/api/v1/events/stream";
  call_context ctx;
  std::optional<response> answered;
  boost::asio::co_spawn(stack_.io, handle(req, ctx),
                        [&](std::exception_ptr, response r) { answered = std::move(r); });
  ASSERT_TRUE(run_until([&] { return answered.has_value(); }));
  running_stream s{std::move(*answered)};
  start(s);
  ASSERT_TRUE(run_until([&] { return parse_sse(s.client.text).comments >= 3; }));
  EXPECT_TRUE(parse_sse(s.client.text).messages.empty());
  stop_and_wait({&s});
}

}  // namespace
}  // namespace bluegreen::api
