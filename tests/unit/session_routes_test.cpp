// The dashboard's sign-in through the API as a pure function (no sockets):
// a token's secret is exchanged for an HttpOnly session cookie, the cookie
// then works wherever a bearer token does, and a request riding it from
// another site changes nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "api/application.hpp"
#include "daemon/session_service.hpp"
#include "storage/database.hpp"
#include "storage/statement.hpp"
#include "tests/support/api_stack.hpp"

namespace bluegreen::api {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kHost = "127.0.0.1:8765";
constexpr const char* kOwnOrigin = "http://127.0.0.1:8765";

class SessionRoutes : public ::testing::Test {
 protected:
  response call(const std::string& method, const std::string& target,
                std::map<std::string, std::string> headers = {}, const std::string& body = "") {
    request req;
    req.method = method;
    req.target = target;
    req.headers = std::move(headers);
    req.headers.emplace("host", kHost);
    req.body = body;
    return stack_.call(req);
  }

  // Signs in with `secret` from the daemon's own page; the reply.
  response sign_in(const std::string& secret) {
    return call("POST", "/api/v1/session", {{"origin", kOwnOrigin}},
                json({{"token", secret}}).dump());
  }

  static std::string header(const response& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return "";
  }

  // The session value a sign-in set.
  std::string cookie_of(const response& r) {
    std::smatch m;
    std::string set = header(r, "Set-Cookie");
    if (!std::regex_search(set, m, std::regex("^bluegreen_session=([A-Za-z0-9_-]{43});")))
      ADD_FAILURE() << "no session cookie in: " << set;
    return "bluegreen_session=" + m[1].str();
  }

  std::string signed_in(const std::string& secret) {
    auto r = sign_in(secret);
    EXPECT_EQ(r.status, 200) << r.body;
    return cookie_of(r);
  }

  std::int64_t stored_sessions() {
    storage::statement count(*stack_.db, "SELECT count(*) FROM sessions");
    count.step();
    return count.column_int(0);
  }

  json lock_state() {
    return json::parse(
        call("GET", "/api/v1/apps/keepthescore", {{"authorization", "Bearer " + stack_.reader}})
            .body)["locks"]["manual"];
  }

  static std::string code(const response& r) { return json::parse(r.body)["error"]["code"]; }

  testing::api_stack stack_{BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml"};
};

TEST_F(SessionRoutes, SignInSetsAnHttpOnlyStrictCookieThatReadsTheApi) {
  auto r = sign_in(stack_.deployer);
  ASSERT_EQ(r.status, 200) << r.body;
  auto session = json::parse(r.body)["session"];
  EXPECT_EQ(session["name"], "deployer");
  EXPECT_EQ(session["scope"], "deploy");
  EXPECT_TRUE(std::regex_match(session["expires_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << session;
  EXPECT_TRUE(std::regex_match(
      header(r, "Set-Cookie"),
      std::regex("bluegreen_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; "
                 "Max-Age=43200")))
      << header(r, "Set-Cookie");
  // The secret never comes back.
  EXPECT_EQ(r.body.find(stack_.deployer), std::string::npos);
  std::string cookie = cookie_of(r);

  auto apps = call("GET", "/api/v1/apps", {{"cookie", "theme=dark; " + cookie}});
  ASSERT_EQ(apps.status, 200) << apps.body;
  EXPECT_EQ(json::parse(apps.body)["apps"][0]["name"], "keepthescore");

  auto who = call("GET", "/api/v1/session", {{"cookie", cookie}});
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(json::parse(who.body), json::parse(r.body));

  // The event stream and a log follow open with the cookie alone (an
  // EventSource sends no headers of its own).
  auto stream = call("GET", "/api/v1/events/stream", {{"cookie", cookie}});
  EXPECT_EQ(stream.status, 200) << stream.body;
  EXPECT_EQ(stream.content_type, "text/event-stream");
  EXPECT_TRUE(stream.stream);
}

TEST_F(SessionRoutes, WithABearerTokenTheSessionHasNoExpiry) {
  auto who = call("GET", "/api/v1/session", {{"authorization", "Bearer " + stack_.reader}});
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(json::parse(who.body),
            json::parse(R"({"session":{"name":"reader","scope":"read","expires_at":null}})"));
  auto nobody = call("GET", "/api/v1/session");
  EXPECT_EQ(nobody.status, 200);
  EXPECT_EQ(json::parse(nobody.body)["session"], nullptr);
  EXPECT_EQ(call("GET", "/api/v1/session", {{"authorization", "Bearer bgt_nope"}}).status, 401);
}

TEST_F(SessionRoutes, ABadTokenGets401AndNoCookieAndStoresNothing) {
  std::string revoked = stack_.token("gone", daemon::scope::admin);
  stack_.tokens->revoke("gone", "root");
  for (const std::string& secret :
       {std::string("bgt_0000000000000000000000000000000000000000000000000000000000000000"),
        std::string("not-a-token"), revoked}) {
    auto r = sign_in(secret);
    EXPECT_EQ(r.status, 401) << secret;
    EXPECT_EQ(code(r), "unauthorized");
    EXPECT_NE(r.body.find("bluegreend token create NAME --scope"), std::string::npos) << r.body;
    EXPECT_EQ(header(r, "Set-Cookie"), "");
  }
  for (const std::string& body :
       {std::string(""), std::string("{"), std::string("[]"), std::string(R"({"token":5})"),
        std::string(R"({"token":""})"), std::string(R"({"token":"x","extra":1})")}) {
    auto r = call("POST", "/api/v1/session", {}, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(header(r, "Set-Cookie"), "");
  }
  EXPECT_EQ(stored_sessions(), 0);
}

TEST_F(SessionRoutes, ASignInFromAnotherSiteIsRefused) {
  std::string body = json({{"token", stack_.deployer}}).dump();
  auto foreign = call("POST", "/api/v1/session", {{"origin", "https://evil.example"}}, body);
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(code(foreign), "cross_origin");
  auto cross = call("POST", "/api/v1/session", {{"sec-fetch-site", "cross-site"}}, body);
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(stored_sessions(), 0);
  // curl sends no Origin: it may sign in.
  EXPECT_EQ(call("POST", "/api/v1/session", {}, body).status, 200);
}

TEST_F(SessionRoutes, SignOutEndsTheSessionEvenForAReplayedCookie) {
  std::string cookie = signed_in(stack_.deployer);
  auto out = call("DELETE", "/api/v1/session", {{"cookie", cookie}, {"origin", kOwnOrigin}});
  EXPECT_EQ(out.status, 204);
  EXPECT_EQ(header(out, "Set-Cookie"),
            "bluegreen_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  auto replayed = call("GET", "/api/v1/apps", {{"cookie", cookie}});
  EXPECT_EQ(replayed.status, 401);
  EXPECT_NE(replayed.body.find("sign in again"), std::string::npos);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/session", {{"cookie", cookie}}).body)["session"],
            nullptr);
  EXPECT_EQ(stored_sessions(), 0);
}

TEST_F(SessionRoutes, ACookiePostFromAnotherSiteIsRefusedAndChangesNothing) {
  std::string cookie = signed_in(stack_.deployer);
  std::string body = R"({"reason":"forged"})";
  for (const auto& extra : std::vector<std::map<std::string, std::string>>{
           {{"origin", "https://evil.example"}},
           {},
           {{"origin", "null"}},
           {{"origin", kOwnOrigin}, {"sec-fetch-site", "cross-site"}}}) {
    auto headers = extra;
    headers["cookie"] = cookie;
    auto r = call("POST", "/api/v1/apps/keepthescore/lock", headers, body);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(code(r), "cross_origin");
    EXPECT_NE(r.body.find("nothing was done"), std::string::npos);
  }
  EXPECT_TRUE(lock_state().is_null());
  // Sign-out too needs the daemon's own page.
  EXPECT_EQ(call("DELETE", "/api/v1/session", {{"cookie", cookie}}).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/session", {{"cookie", cookie}}).status, 200);
  // A bearer token is not a browser's: its Origin does not matter.
  auto bearer = call(
      "POST", "/api/v1/apps/keepthescore/lock",
      {{"authorization", "Bearer " + stack_.deployer}, {"origin", "https://elsewhere.example"}},
      body);
  EXPECT_EQ(bearer.status, 201) << bearer.body;
}

TEST_F(SessionRoutes, ACookiePostFromTheDaemonsPageActsAsTheDashboard) {
  std::string cookie = signed_in(stack_.deployer);
  auto r = call("POST", "/api/v1/apps/keepthescore/lock",
                {{"cookie", cookie}, {"origin", kOwnOrigin}, {"sec-fetch-site", "same-origin"}},
                R"({"reason":"from the dashboard"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(lock_state()["holder"], "deployer");
  auto events = json::parse(
      call("GET", "/api/v1/events?app=keepthescore", {{"cookie", cookie}}).body)["events"];
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["action"], "app.lock");
  EXPECT_EQ(events[0]["actor"], "deployer");
  EXPECT_EQ(events[0]["channel"], "dashboard");
}

TEST_F(SessionRoutes, TheScopeIsTheTokensAndAnAuthorizationHeaderWinsOverTheCookie) {
  std::string cookie = signed_in(stack_.reader);
  auto r = call("POST", "/api/v1/apps/keepthescore/lock",
                {{"cookie", cookie}, {"origin", kOwnOrigin}}, R"({"reason":"x"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code(r), "forbidden");
  // A bad bearer token is not rescued by a good cookie.
  auto both = call("GET", "/api/v1/apps", {{"cookie", cookie}, {"authorization", "Bearer bgt_x"}});
  EXPECT_EQ(both.status, 401);
  // Unknown API paths stay hidden unless the cookie is good.
  EXPECT_EQ(call("GET", "/api/v1/nope", {{"cookie", cookie}}).status, 404);
  EXPECT_EQ(
      call("GET", "/api/v1/nope", {{"cookie", "bluegreen_session=" + std::string(43, 'x')}}).status,
      401);
}

TEST_F(SessionRoutes, RevokingTheTokenEndsItsSessionsAtOnce) {
  std::string cookie = signed_in(stack_.deployer);
  ASSERT_EQ(call("GET", "/api/v1/apps", {{"cookie", cookie}}).status, 200);
  auto stream = call("GET", "/api/v1/events/stream", {{"cookie", cookie}});
  ASSERT_TRUE(stream.stream);
  stack_.tokens->revoke("deployer", "root");
  EXPECT_EQ(call("GET", "/api/v1/apps", {{"cookie", cookie}}).status, 401);
  // A new token of the same name does not bring the old session back.
  stack_.token("deployer", daemon::scope::deploy);
  EXPECT_EQ(call("GET", "/api/v1/apps", {{"cookie", cookie}}).status, 401);
}

TEST(SessionService, AnExpiredSessionIsRefusedAndRemoved) {
  testing::api_stack stack{BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml"};
  auto expired = stack.sessions->open(stack.reader, 0s);
  ASSERT_TRUE(expired);
  auto kept = stack.sessions->open(stack.reader, 3600s);
  ASSERT_TRUE(kept);
  auto another = stack.sessions->open(stack.deployer, 0s);
  ASSERT_TRUE(another);
  EXPECT_FALSE(stack.sessions->verify(expired->value));
  EXPECT_EQ(stack.sessions->prune_expired(), 1);  // the other expired one
  auto still = stack.sessions->verify(kept->value);
  ASSERT_TRUE(still);
  EXPECT_EQ(still->token.name, "reader");
  EXPECT_FALSE(stack.sessions->open("bgt_nothing", 3600s));
  EXPECT_FALSE(stack.sessions->verify(""));
  EXPECT_FALSE(stack.sessions->verify(std::string(43, 'A')));
}

}  // namespace
}  // namespace bluegreen::api

namespace bluegreen::api {
namespace {

// Behind a TLS proxy (server.public_url is https): the cookie is Secure,
// and the proxy's origin is the dashboard's own.
TEST(SessionBehindTls, TheCookieIsSecureAndThePublicOriginMayAct) {
  testing::temp_dir dir;
  std::string text = testing::read_file(BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml");
  auto at = text.find("[server]\n");
  ASSERT_NE(at, std::string::npos);
  text.insert(at + 9, "public_url = \"https://Deploy.Example.com/\"\n");
  testing::api_stack stack{dir.write("bluegreen.toml", text)};
  auto call = [&](const std::string& method, const std::string& target,
                  std::map<std::string, std::string> headers, const std::string& body) {
    request req;
    req.method = method;
    req.target = target;
    req.headers = std::move(headers);
    req.headers.emplace("host", "deploy.example.com");
    req.body = body;
    return stack.call(req);
  };
  auto signed_in = call("POST", "/api/v1/session", {{"origin", "https://deploy.example.com"}},
                        json({{"token", stack.deployer}}).dump());
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  std::string set_cookie;
  for (const auto& [n, v] : signed_in.headers)
    if (n == "Set-Cookie") set_cookie = v;
  EXPECT_TRUE(set_cookie.ends_with("; Secure")) << set_cookie;
  std::string cookie = set_cookie.substr(0, set_cookie.find(';'));

  auto locked = call("POST", "/api/v1/apps/keepthescore/lock",
                     {{"cookie", cookie}, {"origin", "https://deploy.example.com"}},
                     R"({"reason":"through the proxy"})");
  EXPECT_EQ(locked.status, 201) << locked.body;
  auto out = call("DELETE", "/api/v1/session",
                  {{"cookie", cookie}, {"origin", "https://deploy.example.com"}}, "");
  EXPECT_EQ(out.status, 204);
  for (const auto& [n, v] : out.headers) {
    if (n == "Set-Cookie") {
      EXPECT_TRUE(v.ends_with("Max-Age=0; Secure")) << v;
    }
  }
}

}  // namespace
}  // namespace bluegreen::api
