// The real HTTP server on 127.0.0.1 with an ephemeral port, spoken to over
// TCP with raw bytes.
#include "api/server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/application.hpp"
#include "daemon/config.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/token_service.hpp"
#include "storage/database.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::api {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::http_connection;
using testing::http_request;

class Server : public ::testing::Test {
 protected:
  void SetUp() override {
    reader_ = stack_.reader;
    deployer_ = stack_.deployer;
    revoked_ = stack_.token("gone", daemon::scope::admin);
    stack_.tokens->revoke("gone", "root");
    std::string error;

    server_options options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.max_body_bytes = 4096;
    options.max_header_bytes = 2048;
    options.read_timeout = 500ms;
    server_ = std::make_unique<server>(io_, options,
                                       [this](const request& r) { return stack_.app->handle(r); });
    ASSERT_TRUE(server_->start(error)) << error;
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      boost::asio::post(io_, [this] { server_->stop(); });
      thread_.join();
    }
  }

  testing::api_stack stack_{BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml"};
  boost::asio::io_context& io_ = stack_.io;
  std::unique_ptr<server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::string reader_, deployer_, revoked_;
};

std::string error_code(const testing::http_reply& r) {
  return json::parse(r.body)["error"]["code"];
}

TEST_F(Server, HealthNeedsNoToken) {
  auto r = http_request(port_, "GET", "/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["status"], "ok");
  EXPECT_EQ(r->headers["content-type"], "application/json");
}

TEST_F(Server, AuthMatrix) {
  auto none = http_request(port_, "GET", "/api/v1/apps");
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->headers["www-authenticate"], "Bearer");
  EXPECT_EQ(http_request(port_, "GET", "/api/v1/apps", "bgt_" + std::string(64, '0'))->status, 401);
  EXPECT_EQ(http_request(port_, "GET", "/api/v1/apps", "not-even-a-token")->status, 401);
  EXPECT_EQ(http_request(port_, "GET", "/api/v1/apps", revoked_)->status, 401);
  auto wrong_scope = http_request(port_, "POST", "/api/v1/apps/keepthescore/lock", reader_,
                                  R"({"reason":"freeze"})");
  EXPECT_EQ(wrong_scope->status, 403);
  EXPECT_EQ(error_code(*wrong_scope), "forbidden");
  auto ok = http_request(port_, "GET", "/api/v1/apps", reader_);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(json::parse(ok->body)["apps"][0]["name"], "keepthescore");
  // A scheme in another case is still a bearer token.
  auto lower = http_request(port_, "GET", "/api/v1/apps", "", "",
                            "Authorization: bearer " + reader_ + "\r\n");
  EXPECT_EQ(lower->status, 200);
  // An unknown route under /api needs a token before it is even looked up.
  EXPECT_EQ(http_request(port_, "GET", "/api/v1/nothing")->status, 401);
}

TEST_F(Server, UnknownRouteAndMethod) {
  auto missing = http_request(port_, "GET", "/api/v1/nothing", reader_);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(error_code(*missing), "not_found");
  auto wrong = http_request(port_, "PATCH", "/api/v1/apps/keepthescore/lock", deployer_, "{}");
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers["allow"], "POST, DELETE");
  EXPECT_EQ(http_request(port_, "GET", "/favicon.ico")->status, 404);
}

TEST_F(Server, MalformedJsonIsRefusedAndChangesNothing) {
  auto r = http_request(port_, "POST", "/api/v1/apps/keepthescore/lock", deployer_,
                        R"({"reason": "freeze")");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_code(*r), "invalid_json");
  auto app = http_request(port_, "GET", "/api/v1/apps/keepthescore", reader_);
  EXPECT_TRUE(json::parse(app->body)["locks"]["manual"].is_null());
}

TEST_F(Server, OversizedBodyIsRefusedWith413) {
  std::string big = R"({"reason":")" + std::string(10000, 'x') + R"("})";
  auto r = http_request(port_, "POST", "/api/v1/apps/keepthescore/lock", deployer_, big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(error_code(*r), "body_too_large");
  // Chunked, so the size is only known while reading.
  http_connection conn("127.0.0.1", port_);
  std::string chunk(3000, 'y');
  char size_line[16];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  conn.send_raw("POST /api/v1/apps/keepthescore/lock HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                deployer_ + "\r\nTransfer-Encoding: chunked\r\n\r\n" + size_line + chunk + "\r\n" +
                size_line + chunk + "\r\n0\r\n\r\n");
  auto chunked = conn.read_reply();
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 413);
  auto app = http_request(port_, "GET", "/api/v1/apps/keepthescore", reader_);
  EXPECT_TRUE(json::parse(app->body)["locks"]["manual"].is_null());
}

TEST_F(Server, OversizedHeaderIsRefused) {
  auto r = http_request(port_, "GET", "/api/v1/apps", reader_, "",
                        "X-Filler: " + std::string(4000, 'z') + "\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(error_code(*r), "header_too_large");
}

TEST_F(Server, AClientThatStopsSendingIsTimedOut) {
  http_connection conn("127.0.0.1", port_);
  ASSERT_TRUE(conn.send_raw("GET /api/v1/apps HTTP/1.1\r\nHost: x\r\nAuthor"));
  // read_timeout is 500 ms here; the server must hang up well before 10 s.
  EXPECT_TRUE(conn.wait_closed(10s));
  // And it still serves others.
  EXPECT_EQ(http_request(port_, "GET", "/healthz")->status, 200);
}

TEST_F(Server, DotSegmentsInPathsAreRefused) {
  for (const char* target : {"/api/v1/apps/../../etc/passwd", "/api/v1/apps/%2e%2e/events",
                             "/../healthz", "/api/v1/apps/keepthescore%2F..%2F..%2Fx"}) {
    auto r = http_request(port_, "GET", target, reader_);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 400) << target;
    EXPECT_EQ(error_code(*r), "bad_path") << target;
  }
}

TEST_F(Server, GarbageIsABadRequest) {
  http_connection conn("127.0.0.1", port_);
  conn.send_raw("HELLO THERE\r\n\r\n");
  auto r = conn.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(Server, KeepAliveServesSeveralRequestsOnOneConnection) {
  http_connection conn("127.0.0.1", port_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(conn.send_raw("GET /api/v1/apps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                              reader_ + "\r\n\r\n"));
    auto r = conn.read_reply();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
  }
}

TEST_F(Server, ExpectContinueGetsAnInterimResponse) {
  http_connection conn("127.0.0.1", port_);
  std::string body = R"({"reason":"freeze"})";
  conn.send_raw("POST /api/v1/apps/keepthescore/lock HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                deployer_ + "\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\nExpect: 100-continue\r\n\r\n");
  auto interim = conn.read_reply();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  conn.send_raw(body);
  auto r = conn.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
}

}  // namespace
}  // namespace bluegreen::api
