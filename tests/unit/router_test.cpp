#include "api/router.hpp"

#include <gtest/gtest.h>

#include "api/target.hpp"

namespace bluegreen::api {
namespace {

handler nothing() {
  return [](const request&, const call_context&) -> boost::asio::awaitable<response> {
    co_return response{};
  };
}

std::string pattern_of(const route* r) {
  std::string out;
  for (const auto& s : r->pattern) out += "/" + s;
  return r->spec.methods().front() + " " + out;
}

std::vector<std::string> segments(const std::string& target) {
  auto t = parse_target(target);
  if (!t) throw std::runtime_error(t.error().message);
  return t->segments;
}

TEST(Router, MatchesLiteralsAndParameters) {
  router r;
  r.add("GET", "/api/v1/apps", daemon::scope::read, nothing());
  r.add("GET", "/api/v1/apps/{app}", daemon::scope::read, nothing());
  r.add("POST", "/api/v1/apps/{app}/lock", daemon::scope::deploy, nothing());

  auto m = r.match("GET", segments("/api/v1/apps/web"));
  ASSERT_TRUE(m.found);
  EXPECT_EQ(m.params.at("app"), "web");
  EXPECT_EQ(pattern_of(m.found), "GET /api/v1/apps/{app}");

  EXPECT_EQ(pattern_of(r.match("GET", segments("/api/v1/apps/")).found), "GET /api/v1/apps");
  EXPECT_FALSE(r.match("GET", segments("/api/v1/apps/web/extra")).found);
}

TEST(Router, ReportsAllowedMethodsForAKnownPath) {
  router r;
  r.add("POST", "/api/v1/apps/{app}/lock", daemon::scope::deploy, nothing());
  r.add("DELETE", "/api/v1/apps/{app}/lock", daemon::scope::deploy, nothing());
  auto m = r.match("GET", segments("/api/v1/apps/web/lock"));
  EXPECT_FALSE(m.found);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"POST", "DELETE"}));
  EXPECT_TRUE(r.match("GET", segments("/nothing")).allowed.empty());
}

TEST(Router, ListsItsRoutesInOrderWithTheirMethodsAndWhoMayCallThem) {
  router r;
  r.add("GET", "/api/v1/apps", daemon::scope::read, nothing());
  r.add(route_spec({"POST", "DELETE"}, "/api/v1/apps/{app}/lock").bearer(daemon::scope::deploy),
        nothing());
  r.add(route_spec({"GET"}, "/assets/{path...}").public_access(), nothing());
  r.add(route_spec({"POST"}, "/hooks/github").verified_by([](const request&) {
    return std::optional<refusal>();
  }),
        nothing());
  std::vector<std::string> listed;
  for (const auto& route : r.routes())
    listed.push_back(route.methods_text() + " " + route.spec.path() + " (" + route.auth_text() +
                     ")");
  EXPECT_EQ(listed, (std::vector<std::string>{
                        "GET,HEAD /api/v1/apps (a token of scope read)",
                        "POST,DELETE /api/v1/apps/{app}/lock (a token of scope deploy)",
                        "GET,HEAD /assets/{path...} (anyone)",
                        "POST /hooks/github (a request its verifier accepts)",
                    }));
}

TEST(Router, WildcardTakesTheRestOfThePathDecodedAndRejoined) {
  router r;
  r.add(route_spec({"GET"}, "/assets/{path...}").public_access(), nothing());
  r.add(route_spec({"GET"}, "/").public_access(), nothing());

  auto m = r.match("GET", segments("/assets/css/my%20site.css"));
  ASSERT_TRUE(m.found);
  EXPECT_EQ(m.params.at("path"), "css/my site.css");
  EXPECT_EQ(r.match("GET", segments("/assets/a")).params.at("path"), "a");
  // An empty segment inside stays visible, so the file lookup can refuse it.
  EXPECT_EQ(r.match("GET", segments("/assets//etc/passwd")).params.at("path"), "/etc/passwd");
  // The wildcard takes one segment at least.
  EXPECT_FALSE(r.match("GET", segments("/assets")).found);
  EXPECT_FALSE(r.match("GET", segments("/assets/")).found);
  EXPECT_EQ(pattern_of(r.match("GET", segments("/")).found), "GET ");
  EXPECT_EQ(r.match("HEAD", segments("/assets/x.css")).params.at("path"), "x.css");
  EXPECT_EQ(r.match("POST", segments("/assets/x.css")).allowed,
            (std::vector<std::string>{"GET", "HEAD"}));
}

TEST(Router, EveryRouteStatesItsAuthAndAWildcardComesLast) {
  router r;
  EXPECT_THROW(r.add(route_spec({"GET"}, "/forgotten"), nothing()), std::logic_error);
  EXPECT_THROW(r.add(route_spec({}, "/x").public_access(), nothing()), std::logic_error);
  EXPECT_THROW(r.add(route_spec({"GET"}, "/{rest...}/x").public_access(), nothing()),
               std::logic_error);
  EXPECT_THROW(r.add(route_spec({"POST"}, "/hook").verified_by(nullptr), nothing()),
               std::logic_error);
  EXPECT_FALSE(r.match("GET", segments("/forgotten")).found);
}

TEST(Router, EachRouteCarriesItsPolicy) {
  router r;
  r.add(route_spec({"POST"}, "/hooks/{name}")
            .verified_by([](const request&) { return std::optional<refusal>(); })
            .max_body_bytes(512),
        nothing());
  r.add(route_spec({"GET", "DELETE"}, "/api/v1/things").bearer(daemon::scope::deploy), nothing());
  r.add("GET", "/healthz", std::nullopt, nothing());

  auto hook = r.match("POST", segments("/hooks/github"));
  ASSERT_TRUE(hook.found);
  EXPECT_EQ(hook.found->spec.auth().what, route_auth::kind::verifier);
  EXPECT_EQ(hook.found->spec.max_body_bytes(), 512u);

  auto things = r.match("DELETE", segments("/api/v1/things"));
  ASSERT_TRUE(things.found);
  EXPECT_EQ(things.found->spec.auth().what, route_auth::kind::bearer);
  EXPECT_EQ(things.found->spec.auth().needs, daemon::scope::deploy);
  EXPECT_FALSE(things.found->spec.max_body_bytes());
  EXPECT_TRUE(r.match("HEAD", segments("/api/v1/things")).found);
  EXPECT_EQ(r.match("PUT", segments("/api/v1/things")).allowed,
            (std::vector<std::string>{"GET", "HEAD", "DELETE"}));

  EXPECT_EQ(r.match("GET", segments("/healthz")).found->spec.auth().what, route_auth::kind::none);
}

TEST(Target, DecodesPathAndQuery) {
  auto t = parse_target("/api/v1/apps/my%2Dapp?limit=5&app=a+b&flag");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/v1/apps/my-app");
  EXPECT_EQ(t->query.at("limit"), "5");
  EXPECT_EQ(t->query.at("app"), "a b");
  EXPECT_EQ(t->query.at("flag"), "");
}

TEST(Target, RefusesTraversalAndEncodedSeparators) {
  for (const char* bad : {"/api/v1/apps/../events", "/api/v1/%2e%2e/x", "/./healthz",
                          "/api/v1/apps/a%2Fb", "/api/v1/apps/a%5cb", "/api/v1/apps/a%00",
                          "/api/v1/apps/%zz", "/api/v1/apps/%2", "api/v1/apps",
                          "http://example.com/"}) {
    auto t = parse_target(bad);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().code, "bad_path") << bad;
    EXPECT_FALSE(t.error().message.empty()) << bad;
  }
}

}  // namespace
}  // namespace bluegreen::api
