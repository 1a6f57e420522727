// The real HTTP server on 127.0.0.1 with an ephemeral port, spoken to over
// TCP with raw bytes.
#include "api/server.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <optional>
#include <thread>

#include "api/application.hpp"
#include "api/hmac_signature.hpp"
#include "daemon/config.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/token_service.hpp"
#include "storage/database.hpp"
#include "tests/support/api_stack.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::api {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::http_connection;
using testing::http_reply;
using testing::http_request;

class Server : public ::testing::Test {
 protected:
  void SetUp() override {
    reader_ = stack_.reader;
    deployer_ = stack_.deployer;
    revoked_ = stack_.token("gone", daemon::scope::admin);
    stack_.tokens->revoke("gone", "root");
    add_test_routes();

    server_options options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.max_body_bytes = 4096;
    options.max_header_bytes = 2048;
    options.read_timeout = 500ms;
    options.body_limit_of = [this](const request& head) { return stack_.app->body_limit(head); };
    server_ = std::make_unique<server>(io_, options,
                                       [this](const request& r) { return stack_.app->handle(r); });
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }

  // Routes with their own policies, as webhooks will have: a small body
  // limit, one larger than the server's, and an HMAC signature.
  void add_test_routes() {
    auto counted = [this](const request& req,
                          const call_context&) -> boost::asio::awaitable<response> {
      ++hook_runs_;
      response r;
      r.body = json({{"bytes", req.body.size()}}).dump() + "\n";
      co_return r;
    };
    stack_.app->add(route_spec({"POST"}, "/hooks/small").public_access().max_body_bytes(64),
                    counted);
    stack_.app->add(route_spec({"POST"}, "/hooks/large").public_access().max_body_bytes(64 * 1024),
                    counted);
    stack_.app->add(
        route_spec({"POST"}, "/hooks/signed").verified_by(hmac_sha256_verifier(kHookSecret)),
        counted);
  }

  static constexpr const char* kHookSecret = "hook-secret";

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
  std::atomic<int> hook_runs_{0};
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

TEST_F(Server, HeadIsAnsweredWhereGetIsWithTheHeaderAlone) {
  auto get = http_request(port_, "GET", "/api/v1/apps/keepthescore", reader_);
  ASSERT_EQ(get->status, 200);
  http_connection conn("127.0.0.1", port_);
  conn.send_raw("HEAD /api/v1/apps/keepthescore HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                reader_ + "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string raw = conn.read_until_closed(std::chrono::seconds(10));
  // The HEAD answer: GET's status and length, then at once the next answer
  // on the same connection.
  ASSERT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw;
  size_t head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << raw;
  std::string head = raw.substr(0, head_end);
  EXPECT_NE(head.find("Content-Length: " + std::to_string(get->body.size())), std::string::npos)
      << head;
  EXPECT_EQ(raw.compare(head_end + 4, 12, "HTTP/1.1 200"), 0) << raw;
  EXPECT_EQ(raw.find("keepthescore", head_end), std::string::npos) << raw;
  // Without a token, HEAD is refused like GET.
  http_connection anonymous("127.0.0.1", port_);
  anonymous.send_raw("HEAD /api/v1/apps HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(anonymous.read_until_closed(std::chrono::seconds(10)).rfind("HTTP/1.1 401", 0), 0u);
  // Allow names HEAD beside GET.
  auto wrong = http_request(port_, "DELETE", "/api/v1/apps", reader_);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers["allow"], "GET, HEAD");
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

TEST_F(Server, ARoutesBodyLimitIsAppliedWhileTheBodyIsRead) {
  // Announced larger than the route takes: refused once the header is read,
  // though the body never comes (read_timeout here is 500 ms).
  http_connection announced("127.0.0.1", port_);
  announced.send_raw(
      "POST /hooks/small HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"a\":");
  auto early = announced.read_reply();
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 413);
  EXPECT_EQ(error_code(*early), "body_too_large");
  EXPECT_NE(early->body.find("larger than 64 bytes"), std::string::npos) << early->body;

  // Below the server's limit (4096) but above the route's.
  auto over = http_request(port_, "POST", "/hooks/small", "", std::string(100, 'x'));
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 413);
  // Chunked: the size shows only while reading.
  http_connection chunked("127.0.0.1", port_);
  chunked.send_raw(
      "POST /hooks/small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "28\r\n" +
      std::string(40, 'y') + "\r\n28\r\n" + std::string(40, 'y') + "\r\n0\r\n\r\n");
  auto chunked_reply = chunked.read_reply();
  ASSERT_TRUE(chunked_reply);
  EXPECT_EQ(chunked_reply->status, 413);
  EXPECT_EQ(hook_runs_, 0);

  auto fits = http_request(port_, "POST", "/hooks/small", "", std::string(64, 'x'));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200) << fits->body;
  // A route may take more than the server's default limit.
  auto large = http_request(port_, "POST", "/hooks/large", "", std::string(10000, 'x'));
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, 200) << large->body;
  EXPECT_EQ(json::parse(large->body)["bytes"], 10000);
  EXPECT_EQ(hook_runs_, 2);
  // The API's routes keep the server's limit.
  auto api = http_request(port_, "POST", "/api/v1/apps/keepthescore/lock", deployer_,
                          R"({"reason":")" + std::string(5000, 'x') + R"("})");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 413);
}

TEST_F(Server, ASignedRouteRunsOnlyForAGoodSignature) {
  std::string body = R"({"ref":"refs/heads/main","after":"0123abc"})";
  std::string good = "sha256=" + hmac_sha256_hex(kHookSecret, body);
  auto accepted = http_request(port_, "POST", "/hooks/signed", "", body,
                               "X-Hub-Signature-256: " + good + "\r\n");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200) << accepted->body;
  EXPECT_EQ(hook_runs_, 1);

  std::string forged = "sha256=" + hmac_sha256_hex("a guess", body);
  for (const std::string& header : {"X-Hub-Signature-256: " + forged + "\r\n", std::string(),
                                    std::string("X-Hub-Signature-256: sha256=zz\r\n"),
                                    "Authorization: Bearer " + deployer_ + "\r\n"}) {
    auto refused = http_request(port_, "POST", "/hooks/signed", "", body, header);
    ASSERT_TRUE(refused) << header;
    EXPECT_EQ(refused->status, 401) << header;
    EXPECT_EQ(error_code(*refused), "unauthorized");
    EXPECT_EQ(refused->body.find(kHookSecret), std::string::npos);
  }
  // The signature covers the body as sent: one byte more is refused.
  auto altered = http_request(port_, "POST", "/hooks/signed", "", body + " ",
                              "X-Hub-Signature-256: " + good + "\r\n");
  ASSERT_TRUE(altered);
  EXPECT_EQ(altered->status, 401);
  EXPECT_EQ(hook_runs_, 1);
}

TEST_F(Server, TheDashboardIsServedWithAnETagAndRevalidated) {
  http_connection conn("127.0.0.1", port_);
  conn.send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto page = conn.read_reply();
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(page->headers["cache-control"], "no-cache");
  EXPECT_EQ(page->headers["x-content-type-options"], "nosniff");
  EXPECT_NE(page->body.find("<script type=\"module\" src=\"/assets/app.js\"></script>"),
            std::string::npos)
      << page->body;
  std::string etag = page->headers["etag"];
  ASSERT_FALSE(etag.empty());

  // The browser asks again with the tag it has: 304, no body, and the
  // connection goes on.
  conn.send_raw("GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag + "\r\n\r\n");
  auto again = conn.read_reply();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_EQ(again->headers["etag"], etag);
  EXPECT_TRUE(again->body.empty());
  conn.send_raw("GET /assets/style.css HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"stale\"\r\n\r\n");
  auto css = conn.read_reply();
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->headers["content-type"], "text/css; charset=utf-8");
  EXPECT_EQ(css->headers["cache-control"], "no-cache");
  EXPECT_NE(css->headers["etag"], etag);
  EXPECT_NE(css->body.find("body {"), std::string::npos);
}

TEST_F(Server, HeadOfAStaticFileSendsItsHeaderAlone) {
  auto get = http_request(port_, "GET", "/assets/style.css");
  ASSERT_EQ(get->status, 200);
  http_connection conn("127.0.0.1", port_);
  conn.send_raw(
      "HEAD /assets/style.css HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string raw = conn.read_until_closed(10s);
  ASSERT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw;
  size_t head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << raw;
  std::string head = raw.substr(0, head_end);
  EXPECT_NE(head.find("Content-Length: " + std::to_string(get->body.size())), std::string::npos)
      << head;
  EXPECT_NE(head.find("ETag: " + get->headers["etag"]), std::string::npos) << head;
  EXPECT_EQ(raw.compare(head_end + 4, 12, "HTTP/1.1 200"), 0) << raw;
  EXPECT_EQ(raw.find("body {"), std::string::npos) << raw;
}

TEST_F(Server, StaticPathsCannotLeaveTheEmbeddedFiles) {
  // Refused by the target parser, as on every path.
  for (const char* target :
       {"/assets/../../etc/passwd", "/assets/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2Fstyle.css",
        "/assets/style.css%00.txt", "/assets/..%5C..%5Cetc%5Cpasswd", "/assets/%2Fetc%2Fpasswd"}) {
    auto r = http_request(port_, "GET", target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 400) << target;
    EXPECT_EQ(error_code(*r), "bad_path") << target;
  }
  // What the parser lets through names no embedded file.
  for (const char* target :
       {"/assets//etc/passwd", "//etc/passwd", "/assets/etc/passwd", "/assets/web-ui/index.html",
        "/assets/CMakeLists.txt", "/index.html", "/assets/style.css.map"}) {
    auto r = http_request(port_, "GET", target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 404) << target;
    EXPECT_EQ(error_code(*r), "not_found") << target;
  }
}

TEST_F(Server, UnknownApiPathsStayHiddenWithoutAToken) {
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/api/v1/nothing"},
                                                        {"GET", "/api/v1/assets/style.css"},
                                                        {"DELETE", "/api/v1/apps"},
                                                        {"POST", "/api/v2/hooks/github"}}) {
    auto r = http_request(port_, method, target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 401) << method << " " << target;
    EXPECT_EQ(r->headers.count("allow"), 0u) << target;
  }
}

// A lock whose reason the daemon must refuse, sent over TCP; the app stays unlocked.
void expect_reason_refused(std::uint16_t port, const std::string& deployer,
                           const std::string& reader, const std::string& reason_json) {
  auto r = http_request(port, "POST", "/api/v1/apps/keepthescore/lock", deployer,
                        R"({"reason":")" + reason_json + R"("})");
  ASSERT_TRUE(r) << reason_json;
  EXPECT_EQ(r->status, 400) << reason_json << ": " << r->body;
  auto app = http_request(port, "GET", "/api/v1/apps/keepthescore", reader);
  EXPECT_TRUE(json::parse(app->body)["locks"]["manual"].is_null()) << reason_json;
}

TEST_F(Server, LockReasonsRefuseUnicodeControlFormatAndSeparatorCharacters) {
  // NEL (a C1 control), line and paragraph separators, right-to-left
  // override, zero-width space, byte order mark, a tag character.
  for (const char* reason :
       {"freeze\\u0085now", "freeze\\u2028now", "freeze\\u2029now", "evil\\u202Etxt.exe",
        "zero\\u200Bwidth", "bom\\uFEFF", "tag\\uDB40\\uDC41", "tab\\there", "del\\u007F"})
    expect_reason_refused(port_, deployer_, reader_, reason);
  auto fine = http_request(port_, "POST", "/api/v1/apps/keepthescore/lock", deployer_,
                           R"({"reason":"Release freeze — café ☕ 日本"})");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 201) << fine->body;
}

TEST_F(Server, LockReasonsInInvalidUtf8AreRefused) {
  for (std::string reason : {std::string("bad\xff"), std::string("cut\xe2\x80"),
                             std::string("overlong\xc0\xaf"), std::string("surrogate\xed\xa0\x80")})
    expect_reason_refused(port_, deployer_, reader_, reason);
}

TEST_F(Server, SwitchWeightsOutOfRangeAreRefusedNotTruncated) {
  for (const char* weights : {R"({"green": 4294967306})", R"({"green": 18446744073709551615})",
                              R"({"green": -4294967286})", R"({"green": 101})",
                              R"({"blue": 4294967296, "green": 100})"}) {
    auto r = http_request(port_, "POST", "/api/v1/apps/keepthescore/switch", deployer_,
                          std::string(R"({"weights": )") + weights + "}");
    ASSERT_TRUE(r) << weights;
    EXPECT_EQ(r->status, 400) << weights << ": " << r->body;
    EXPECT_EQ(error_code(*r), "invalid_weights") << weights;
  }
}

TEST_F(Server, TwoAuthorizationHeadersAreABadRequest) {
  for (const auto& second : {reader_, std::string("bgt_") + std::string(64, '0')}) {
    auto r = http_request(port_, "GET", "/api/v1/apps", reader_, "",
                          "Authorization: Bearer " + second + "\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
  }
}

TEST_F(Server, Http11WithoutOneHostIsABadRequest) {
  for (const std::string head :
       {"GET /healthz HTTP/1.1\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"}) {
    http_connection conn("127.0.0.1", port_);
    conn.send_raw(head);
    auto r = conn.read_reply();
    ASSERT_TRUE(r) << head;
    EXPECT_EQ(r->status, 400) << head;
    EXPECT_TRUE(conn.wait_closed(10s)) << head;
  }
  // HTTP/1.0 had no Host header.
  http_connection old("127.0.0.1", port_);
  old.send_raw("GET /healthz HTTP/1.0\r\n\r\n");
  auto r = old.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// A body framed by anything but exactly "chunked" (or one Content-Length)
// must not become a second request on the same connection.
TEST_F(Server, TransferEncodingOtherThanChunkedIsRefusedAndTheBodyIsNeverARequest) {
  std::string smuggled =
      "GET /api/v1/apps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + reader_ + "\r\n\r\n";
  char size_line[16];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", smuggled.size());
  for (const char* encoding :
       {"xchunked", "chunked, identity", "gzip, chunked", "identity",
        "chunked\r\nTransfer-Encoding: chunked", "chunked\r\nContent-Length: 3"}) {
    http_connection conn("127.0.0.1", port_);
    conn.send_raw(
        "POST /api/v1/apps/keepthescore/unlock HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " +
        std::string(encoding) + "\r\n\r\n" + smuggled);
    auto r = conn.read_reply();
    ASSERT_TRUE(r) << encoding;
    EXPECT_EQ(r->status, 400) << encoding << ": " << r->body;
    // Nothing more is answered: the connection ends without a second reply.
    std::string rest = conn.read_until_closed(10s);
    EXPECT_EQ(rest.find("HTTP/1.1"), std::string::npos) << encoding << ": " << rest;
  }
  // Exactly "chunked" (in any case) is still read as a body.
  http_connection conn("127.0.0.1", port_);
  std::string body = R"({"reason":"freeze"})";
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", body.size());
  conn.send_raw(
      "POST /api/v1/apps/keepthescore/lock HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
      deployer_ + "\r\nTransfer-Encoding: Chunked\r\n\r\n" + size_line + body + "\r\n0\r\n\r\n");
  auto r = conn.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
}

// The headers that keep a page from running injected script, being framed
// or leaking its address: on the dashboard's page, on its assets, on API
// answers and errors, and on what the server refuses before any route.
TEST_F(Server, EveryResponseCarriesTheSecurityHeaders) {
  const std::string csp =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
  std::vector<std::pair<std::string, std::optional<http_reply>>> replies;
  replies.emplace_back("/", http_request(port_, "GET", "/"));
  replies.emplace_back("asset", http_request(port_, "GET", "/assets/style.css"));
  replies.emplace_back("api", http_request(port_, "GET", "/api/v1/apps", reader_));
  replies.emplace_back("api error", http_request(port_, "GET", "/api/v1/apps/nope", reader_));
  replies.emplace_back("no token", http_request(port_, "GET", "/api/v1/apps"));
  replies.emplace_back("too large",
                       http_request(port_, "POST", "/hooks/small", "", std::string(100, 'x')));
  for (const auto& [what, r] : replies) {
    ASSERT_TRUE(r) << what;
    EXPECT_EQ(r->headers.at("content-security-policy"), csp) << what;
    EXPECT_EQ(r->headers.at("x-content-type-options"), "nosniff") << what;
    EXPECT_EQ(r->headers.at("referrer-policy"), "no-referrer") << what;
    EXPECT_EQ(r->headers.at("x-frame-options"), "DENY") << what;
  }
  EXPECT_EQ(replies[1].second->headers["cache-control"], "no-cache");
  EXPECT_EQ(replies[3].second->status, 404);
  EXPECT_EQ(replies[5].second->status, 413);
}

// Over the wire as a browser does it: sign in, then the cookie alone opens
// the event stream, and signing out ends it.
TEST_F(Server, ASessionCookieOpensTheEventStreamAndSignOutEndsIt) {
  auto signed_in =
      http_request(port_, "POST", "/api/v1/session", "", json({{"token", deployer_}}).dump(),
                   "Origin: http://127.0.0.1\r\n");
  ASSERT_TRUE(signed_in);
  ASSERT_EQ(signed_in->status, 200) << signed_in->body;
  std::string set_cookie = signed_in->headers["set-cookie"];
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(set_cookie, m, std::regex("^(bluegreen_session=[A-Za-z0-9_-]{43});")))
      << set_cookie;
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("; SameSite=Strict"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);  // plain HTTP, no public_url
  std::string cookie = "Cookie: " + m[1].str() + "\r\n";

  // The stream's header (HEAD: the stream itself would run until the
  // server stops; the end-to-end tests follow one with the cookie).
  http_connection stream("127.0.0.1", port_);
  stream.send_raw("HEAD /api/v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n" + cookie + "\r\n");
  auto head = stream.read_reply();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers["content-type"], "text/event-stream");
  auto without = http_request(port_, "GET", "/api/v1/events/stream");
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 401);

  auto out = http_request(port_, "DELETE", "/api/v1/session", "", "",
                          cookie + "Origin: http://127.0.0.1\r\n");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204);
  EXPECT_NE(out->headers["set-cookie"].find("Max-Age=0"), std::string::npos);
  auto replayed = http_request(port_, "GET", "/api/v1/apps", "", "", cookie);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->status, 401);
}

// Past max_connections a new connection is answered 503 and closed at
// once, while the connections already open keep being served.
// The API on a real server with a connection cap of `cap`, its loop on a
// thread of its own; stopped (streams ended first) when it goes.
struct capped_server {
  explicit capped_server(std::size_t cap) {
    options.port = 0;
    options.max_connections = cap;
    http.emplace(stack.io, options, [this](const request& r) { return stack.app->handle(r); });
    auto started = http->start();
    EXPECT_TRUE(started) << started.error().message;
    thread = std::thread([this] { stack.io.run(); });
  }
  ~capped_server() {
    boost::asio::post(stack.io, [this] {
      stack.core->begin_stop([] {});  // ends streams still waiting for an event
      http->stop();
    });
    thread.join();
  }
  std::uint16_t port() { return http->port(); }

  testing::api_stack stack{BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml"};
  server_options options;
  std::optional<server> http;
  std::thread thread;
};

// An event stream may write nothing for 15 s (until the next event or
// heartbeat); a client that closed it must not hold its connection slot
// until then.
TEST(ServerCap, AClosedStreamFreesItsSlotAtOnce) {
  capped_server capped(1);
  std::uint16_t port = capped.port();
  auto stream = std::make_unique<http_connection>("127.0.0.1", port);
  ASSERT_TRUE(stream->send_raw("GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\n"
                               "Authorization: Bearer " +
                               capped.stack.reader + "\r\n\r\n"));
  ASSERT_TRUE(stream->read_until(
      [](const std::string& got) { return got.find("\r\n\r\n") != std::string::npos; }, 10s));
  ASSERT_NE(stream->received().find(" 200 "), std::string::npos) << stream->received();
  auto refused = http_request(port, "GET", "/healthz");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  stream.reset();  // the client closes the stream
  bool served = false;
  auto deadline = std::chrono::steady_clock::now() + 5s;  // well before any heartbeat
  while (!served && std::chrono::steady_clock::now() < deadline) {
    auto again = http_request(port, "GET", "/healthz");
    served = again && again->status == 200;
  }
  EXPECT_TRUE(served);
}

TEST(ServerCap, ConnectionsPastTheCapAreRefusedAndOpenOnesStillServe) {
  capped_server capped(2);
  std::uint16_t port = capped.port();
  {
    auto first = std::make_unique<http_connection>("127.0.0.1", port);
    http_connection second("127.0.0.1", port);
    for (auto* c : {first.get(), &second}) {
      ASSERT_TRUE(c->send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
      auto r = c->read_reply();
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200);
    }
    for (int i = 0; i < 5; ++i) {
      http_connection extra("127.0.0.1", port);
      std::string all = extra.read_until_closed(10s);
      EXPECT_NE(all.find("503"), std::string::npos) << all;
      EXPECT_NE(all.find("too_many_connections"), std::string::npos) << all;
    }
    ASSERT_TRUE(second.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = second.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    // Once one closes, a new connection is served again.
    first.reset();
    bool served = false;
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!served && std::chrono::steady_clock::now() < deadline) {
      auto again = http_request(port, "GET", "/healthz");
      served = again && again->status == 200;
    }
    EXPECT_TRUE(served);
  }
}

// The real daemon, with no apps, on an ephemeral port; `wrapper` runs before
// it (e.g. prlimit).
struct running_daemon {
  running_daemon(const testing::temp_dir& dir, const std::string& server_keys,
                 std::vector<std::string> wrapper = {}) {
    auto config =
        dir.write("bluegreen.toml", "[server]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"" +
                                        (dir.path() / "state").string() + "\"\n" + server_keys);
    wrapper.insert(wrapper.end(), {BLUEGREEN_BINARY, "run", "--config", config.string()});
    process = std::make_unique<testing::child_process>(wrapper);
    auto line = process->wait_for_stderr("listening on", 30s);
    if (!line) return;
    std::smatch m;
    if (std::regex_search(*line, m, std::regex("http://127\\.0\\.0\\.1:([0-9]+)")))
      port = static_cast<std::uint16_t>(std::stoi(m[1]));
  }
  ~running_daemon() {
    process->signal(SIGTERM);
    process->wait_exit(30s);
  }
  // Lines of its log that contain `needle`.
  size_t log_lines_with(const std::string& needle) const {
    std::istringstream in(process->stderr_text());
    size_t n = 0;
    for (std::string line; std::getline(in, line);)
      if (line.find(needle) != std::string::npos) ++n;
    return n;
  }
  std::unique_ptr<testing::child_process> process;
  std::uint16_t port = 0;
};

std::optional<http_reply> healthz_on(http_connection& conn) {
  if (!conn.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) return std::nullopt;
  return conn.read_reply();
}

// Started with a low descriptor limit (soft 64, hard 256), the daemon raises
// the soft limit to the hard one and fits its connection cap beneath it;
// connections past that cap get 503 and are closed at once, the open ones are
// still served, and the log says so in a bounded number of lines.
TEST(DaemonDescriptors, UnderALowLimitConnectionsPastTheFittedCapAreRefused) {
  testing::temp_dir dir;
  running_daemon daemon(dir, "", {"/usr/bin/prlimit", "--nofile=64:256"});
  ASSERT_NE(daemon.port, 0) << daemon.process->stderr_text();
  EXPECT_TRUE(std::regex_search(
      testing::read_file("/proc/" + std::to_string(daemon.process->pid()) + "/limits"),
      std::regex("Max open files +256 +256 ")));
  EXPECT_EQ(daemon.log_lines_with("serving at most 128 connections"), 1u)
      << daemon.process->stderr_text();

  http_connection first("127.0.0.1", daemon.port);
  ASSERT_EQ(healthz_on(first)->status, 200);
  std::vector<std::unique_ptr<http_connection>> held;
  size_t refused = 0;
  for (int i = 0; i < 200; ++i) {
    auto conn = std::make_unique<http_connection>("127.0.0.1", daemon.port);
    if (i < 127) {  // fills the cap; each is answered, so each was accepted
      auto r = healthz_on(*conn);
      ASSERT_TRUE(r) << "connection " << i;
      EXPECT_EQ(r->status, 200);
      held.push_back(std::move(conn));
      continue;
    }
    std::string answer = conn->read_until_closed(20s);
    if (answer.find("503 Service Unavailable") != std::string::npos &&
        answer.find("too_many_connections") != std::string::npos)
      ++refused;
  }
  EXPECT_EQ(refused, 73u);
  auto r = healthz_on(first);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_LE(daemon.log_lines_with("refused a connection"), 3u) << daemon.process->stderr_text();
}

// When the process runs out of descriptors anyway, accepting pauses instead
// of spinning: a connection already open still answers, "accept failed" is
// logged a bounded number of times, and once descriptors are free again new
// connections are served.
TEST(DaemonDescriptors, RunningOutOfDescriptorsPausesAcceptingWithoutFloodingTheLog) {
  testing::temp_dir dir;
  running_daemon daemon(dir, "max_connections = 100000\n");
  ASSERT_NE(daemon.port, 0) << daemon.process->stderr_text();
  pid_t pid = daemon.process->pid();
  http_connection keep("127.0.0.1", daemon.port);
  ASSERT_EQ(healthz_on(keep)->status, 200);

  auto open_files = static_cast<rlim_t>(std::distance(
      std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"), {}));
  rlimit before{};
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, nullptr, &before), 0) << std::strerror(errno);
  rlimit low{open_files + 4, before.rlim_max};  // the soft limit, so it can be raised again
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &low, nullptr), 0) << std::strerror(errno);
  std::vector<std::unique_ptr<http_connection>> waiting;
  for (int i = 0; i < 50; ++i)
    waiting.push_back(std::make_unique<http_connection>("127.0.0.1", daemon.port));
  ASSERT_TRUE(daemon.process->wait_for_stderr("accept failed", 30s));
  // While it cannot accept, the open connection is served, again and again.
  for (int i = 0; i < 50; ++i) {
    auto r = healthz_on(keep);
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_LE(daemon.log_lines_with("accept failed"), 3u);
  EXPECT_LT(daemon.process->stderr_text().size(), 64u * 1024);

  waiting.clear();
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &before, nullptr), 0) << std::strerror(errno);
  bool served = false;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!served && std::chrono::steady_clock::now() < deadline) {
    auto again = http_request(daemon.port, "GET", "/healthz");
    served = again && again->status == 200;
  }
  EXPECT_TRUE(served);
}

}  // namespace
}  // namespace bluegreen::api
