// The API as a pure function: requests in, responses out, no sockets.
#include "api/application.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/embedded_file.hpp"
#include "api/hmac_signature.hpp"
#include "daemon/config.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/token_service.hpp"
#include "storage/app_state_repository.hpp"
#include "storage/database.hpp"
#include "tests/support/api_stack.hpp"

namespace bluegreen::api {
namespace {

using nlohmann::json;

class Application : public ::testing::Test {
 protected:

  response call(const std::string& method, const std::string& target, const std::string& token,
                const std::string& body = "") {
    request req;
    req.method = method;
    req.target = target;
    if (!token.empty()) req.headers["authorization"] = "Bearer " + token;
    req.body = body;
    return stack_.call(req);
  }

  static std::string code(const response& r) { return json::parse(r.body)["error"]["code"]; }

  testing::api_stack stack_{BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml"};
  const std::string& reader_ = stack_.reader;
  const std::string& deployer_ = stack_.deployer;
};

TEST_F(Application, ListsTheConfiguredApps) {
  auto r = call("GET", "/api/v1/apps", reader_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = json::parse(r.body);
  ASSERT_EQ(body["apps"].size(), 1u);
  EXPECT_EQ(body["apps"][0]["name"], "keepthescore");
  EXPECT_TRUE(body["apps"][0]["live"].is_null());
  EXPECT_EQ(body["apps"][0]["blue"]["identity"], "blue-production");
}

// The listing is served from memory and a rendering is reused: every
// change the engine stores still shows in the next answer.
TEST_F(Application, ListingAndViewShowEveryStoredChangeAtOnce) {
  auto listed = [&] { return json::parse(call("GET", "/api/v1/apps", reader_).body)["apps"][0]; };
  auto viewed = [&] { return json::parse(call("GET", "/api/v1/apps/keepthescore", reader_).body); };
  EXPECT_TRUE(listed()["live"].is_null());
  std::string before = call("GET", "/api/v1/apps", reader_).body;
  EXPECT_EQ(call("GET", "/api/v1/apps", reader_).body, before);

  storage::app_state_repository(*stack_.db).set_routing("keepthescore", "green", "green:100");
  EXPECT_EQ(listed()["live"], "green");
  EXPECT_EQ(viewed()["routing"], "green:100");

  ASSERT_EQ(
      call("POST", "/api/v1/apps/keepthescore/lock", deployer_, R"({"reason":"freeze"})").status,
      201);
  EXPECT_EQ(listed()["locks"]["manual"]["reason"], "freeze");
  EXPECT_EQ(viewed()["locks"]["manual"]["holder"], "deployer");
  ASSERT_EQ(call("DELETE", "/api/v1/apps/keepthescore/lock", deployer_).status, 200);
  EXPECT_TRUE(listed()["locks"]["manual"].is_null());
  EXPECT_TRUE(viewed()["locks"]["manual"].is_null());
}

TEST_F(Application, AppDetailMergesConfigAndStateWithoutSecrets) {
  auto r = call("GET", "/api/v1/apps/keepthescore", reader_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = json::parse(r.body);
  EXPECT_EQ(body["green"]["hosts"][0], "root@10.0.0.3");
  EXPECT_EQ(body["deploy"]["timeout"], "10m");
  EXPECT_EQ(body["traffic"]["backend"], "digitalocean");
  EXPECT_EQ(body["traffic"]["token"]["credential"], "digitalocean-token");
  EXPECT_EQ(body["tasks"]["migrate"]["hosts"], "one");
  EXPECT_EQ(call("GET", "/api/v1/apps/nope", reader_).status, 404);
}

TEST_F(Application, LockNamesItsHolderAndRefusesASecond) {
  auto r = call("POST", "/api/v1/apps/keepthescore/lock", deployer_, R"({"reason":"release freeze"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["lock"]["holder"], "deployer");
  auto again = call("POST", "/api/v1/apps/keepthescore/lock", deployer_, R"({"reason":"x"})");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(code(again), "lock_held");
  EXPECT_NE(again.body.find("release freeze"), std::string::npos);
  auto shown = json::parse(call("GET", "/api/v1/apps/keepthescore", reader_).body);
  EXPECT_EQ(shown["locks"]["manual"]["reason"], "release freeze");
  EXPECT_EQ(call("DELETE", "/api/v1/apps/keepthescore/lock", deployer_).status, 200);
  EXPECT_EQ(code(call("DELETE", "/api/v1/apps/keepthescore/lock", deployer_)), "not_locked");
  auto events = json::parse(call("GET", "/api/v1/events?app=keepthescore", reader_).body);
  ASSERT_EQ(events["events"].size(), 2u);
  EXPECT_EQ(events["events"][0]["action"], "app.unlock");
  EXPECT_EQ(events["events"][1]["actor"], "deployer");
  EXPECT_EQ(events["events"][1]["channel"], "api");
}

TEST_F(Application, BadBodiesChangeNothing) {
  for (const std::string& body : {std::string("{\"reason\": "), std::string("[1,2]"),
                                  std::string("{\"reason\": 5}"), std::string("{}"),
                                  std::string("{\"reason\": \"two\\nlines\"}")}) {
    auto r = call("POST", "/api/v1/apps/keepthescore/lock", deployer_, body);
    EXPECT_EQ(r.status, 400) << body;
  }
  EXPECT_EQ(call("POST", "/api/v1/apps/nope/lock", deployer_, R"({"reason":"x"})").status, 404);
  auto shown = json::parse(call("GET", "/api/v1/apps/keepthescore", reader_).body);
  EXPECT_TRUE(shown["locks"]["manual"].is_null());
  EXPECT_TRUE(json::parse(call("GET", "/api/v1/events?app=keepthescore", reader_).body)["events"].empty());
}

TEST_F(Application, ScopesAreEnforced) {
  auto r = call("POST", "/api/v1/apps/keepthescore/lock", reader_, R"({"reason":"x"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("needs 'deploy'"), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/apps", "").status, 401);
  EXPECT_EQ(call("GET", "/healthz", "").status, 200);
}

// A webhook-style route: no bearer token, an HMAC signature of the raw body.
TEST_F(Application, AVerifierRouteRunsItsHandlerOnlyForAGoodSignature) {
  int ran = 0;
  stack_.app->add(
      route_spec({"POST"}, "/hooks/test").verified_by(hmac_sha256_verifier("s3cret")),
      [&ran](const request&, const call_context& ctx) -> boost::asio::awaitable<response> {
        ++ran;
        EXPECT_TRUE(ctx.actor.empty());
        response r;
        r.body = "{}\n";
        co_return r;
      });
  std::string body = R"({"ref":"refs/heads/main"})";
  request good;
  good.method = "POST";
  good.target = "/hooks/test";
  good.body = body;
  good.headers["x-hub-signature-256"] = "sha256=" + hmac_sha256_hex("s3cret", body);
  EXPECT_EQ(stack_.call(good).status, 200);
  EXPECT_EQ(ran, 1);

  request bad = good;
  bad.headers["x-hub-signature-256"] = "sha256=" + hmac_sha256_hex("guess", body);
  auto refused = stack_.call(bad);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(code(refused), "unauthorized");
  request unsigned_ = good;
  unsigned_.headers.clear();
  EXPECT_EQ(stack_.call(unsigned_).status, 401);
  // A bearer token is no substitute for the signature.
  unsigned_.headers["authorization"] = "Bearer " + deployer_;
  EXPECT_EQ(stack_.call(unsigned_).status, 401);
  EXPECT_EQ(ran, 1);
}

TEST_F(Application, TheBodyLimitIsTheRoutes) {
  stack_.app->add(route_spec({"POST"}, "/hooks/small").public_access().max_body_bytes(64),
                  [](const request&, const call_context&) -> boost::asio::awaitable<response> {
                    co_return response{};
                  });
  auto limit_of = [&](const std::string& method, const std::string& target) {
    request head;
    head.method = method;
    head.target = target;
    return stack_.app->body_limit(head);
  };
  EXPECT_EQ(limit_of("POST", "/hooks/small"), 64u);
  EXPECT_EQ(limit_of("POST", "/hooks/small?x=1"), 64u);
  EXPECT_FALSE(limit_of("GET", "/hooks/small"));
  EXPECT_FALSE(limit_of("POST", "/api/v1/apps/keepthescore/lock"));
  EXPECT_FALSE(limit_of("POST", "/nothing"));
  EXPECT_FALSE(limit_of("POST", "/hooks/%zz"));
}

TEST_F(Application, UnknownApiPathsNeedATokenFirstOthersDoNot) {
  EXPECT_EQ(call("GET", "/api/v1/nothing", "").status, 401);
  EXPECT_EQ(call("DELETE", "/api/v1/apps", "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/nothing", "bgt_" + std::string(64, '0')).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/nothing", reader_).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/apps", reader_).status, 405);
  EXPECT_EQ(call("GET", "/nothing", "").status, 404);
}

TEST_F(Application, TheDashboardIsServedWithoutAToken) {
  auto page = call("GET", "/", "");
  EXPECT_EQ(page.status, 200);
  ASSERT_TRUE(page.file);
  EXPECT_EQ(page.file->path, "index.html");
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  auto css = call("GET", "/assets/style.css", "");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(call("GET", "/assets/nothing.css", "").status, 404);
  EXPECT_EQ(call("POST", "/", "").status, 405);
}

TEST_F(Application, EventsValidateTheirParameters) {
  EXPECT_EQ(call("GET", "/api/v1/events?limit=0", reader_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/events?limit=abc", reader_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/events?limit=5&before=3", reader_).status, 200);
}

}  // namespace
}  // namespace bluegreen::api
