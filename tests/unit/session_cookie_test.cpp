// The session cookie and the Origin check as pure functions: what the
// daemon finds in a Cookie header, the Set-Cookie it sends, and which
// requests count as coming from its own pages.
#include "api/session_cookie.hpp"

#include <gtest/gtest.h>

#include "api/origin_check.hpp"
#include "daemon/session_service.hpp"

namespace bluegreen::api {
namespace {

using namespace std::chrono_literals;

const std::string kValue(43, 'a');
const std::string kOther = "Zz0-_" + std::string(38, 'b');

TEST(SessionCookie, TheSessionValueIsFoundAmongOtherCookies) {
  EXPECT_EQ(session_cookie_values("theme=dark; bluegreen_session=" + kValue + "; lang=en"),
            std::vector<std::string>{kValue});
  EXPECT_EQ(session_cookie_values("bluegreen_session=" + kValue), std::vector<std::string>{kValue});
  EXPECT_EQ(session_cookie_values(" bluegreen_session = \"" + kValue + "\" "),
            std::vector<std::string>{kValue});
  // Two (another path's too), in the order sent; repeated headers joined.
  EXPECT_EQ(session_cookie_values("bluegreen_session=" + kValue + ", bluegreen_session=" + kOther),
            (std::vector<std::string>{kValue, kOther}));
}

TEST(SessionCookie, WhatIsNotASessionValueIsLeftOut) {
  for (const std::string& header : std::vector<std::string>{
           std::string(""), std::string(";;;"), std::string("bluegreen_session"),
           std::string("bluegreen_session="), "bluegreen_session=" + kValue + "x",
           "bluegreen_session=" + kValue.substr(1), "bluegreen_session=" + kValue.substr(1) + "=",
           "bluegreen_session=" + kValue.substr(1) + "+", "xbluegreen_session=" + kValue,
           "bluegreen_sessionx=" + kValue, "BLUEGREEN_SESSION=" + kValue,
           "bluegreen_session=bgt_0123456789abcdef"})
    EXPECT_TRUE(session_cookie_values(header).empty()) << header;
  EXPECT_FALSE(daemon::is_session_value(std::string(43, '/')));
  EXPECT_TRUE(daemon::is_session_value(kOther));
}

TEST(SessionCookie, AHeaderFullOfSessionCookiesYieldsOnlyAFew) {
  std::string header;
  for (int i = 0; i < 1000; ++i) header += "bluegreen_session=" + kValue + "; ";
  EXPECT_EQ(session_cookie_values(header).size(), 4u);
}

TEST(SessionCookie, SetCookieIsHttpOnlyStrictAndSecureOnlyUnderTls) {
  EXPECT_EQ(session_set_cookie(kValue, 43200s, false),
            "bluegreen_session=" + kValue + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200");
  EXPECT_EQ(
      session_set_cookie(kValue, 60s, true),
      "bluegreen_session=" + kValue + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure");
  EXPECT_EQ(cleared_session_cookie(false),
            "bluegreen_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

request from(const std::string& method, std::map<std::string, std::string> headers) {
  request req;
  req.method = method;
  req.target = "/api/v1/apps/web/lock";
  req.headers = std::move(headers);
  return req;
}

TEST(OriginCheck, OnlyTheDaemonsOwnOriginMayAct) {
  auto check = [](std::map<std::string, std::string> headers, std::string_view public_origin = "",
                  bool required = true) {
    return cross_site_refusal(from("POST", std::move(headers)), public_origin, required);
  };
  EXPECT_FALSE(check({{"host", "127.0.0.1:8765"}, {"origin", "http://127.0.0.1:8765"}}));
  EXPECT_FALSE(check({{"host", "Deploy.Example.com"}, {"origin", "http://deploy.example.com"}}));
  EXPECT_FALSE(check({{"host", "127.0.0.1:8765"},
                      {"origin", "http://127.0.0.1:8765"},
                      {"sec-fetch-site", "same-origin"}}));
  // Behind a TLS proxy: the public URL's origin.
  EXPECT_FALSE(check({{"host", "deploy.example.com"}, {"origin", "https://deploy.example.com"}},
                     "https://deploy.example.com"));

  auto refused = check({{"host", "127.0.0.1:8765"}, {"origin", "https://evil.example"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->code, "cross_origin");
  EXPECT_NE(refused->message.find("another site"), std::string::npos);
  EXPECT_NE(refused->message.find("nothing was done"), std::string::npos);
  EXPECT_NE(refused->message.find("https://evil.example"), std::string::npos);

  EXPECT_TRUE(check({{"host", "127.0.0.1:8765"}}));  // no Origin
  EXPECT_TRUE(check({{"host", "127.0.0.1:8765"}, {"origin", "null"}}));
  EXPECT_TRUE(check({{"host", "127.0.0.1:8765"}, {"origin", "http://127.0.0.1:8766"}}));
  EXPECT_TRUE(check({{"host", "127.0.0.1:8765"}, {"origin", "https://127.0.0.1:8765"}}));
  EXPECT_TRUE(check({{"origin", "http://"}}));  // no Host
  EXPECT_TRUE(check({{"host", "deploy.example.com"}, {"origin", "http://deploy.example.com.evil"}},
                    "https://deploy.example.com"));
  // The browser's word that another site started it wins over the Origin.
  EXPECT_TRUE(check({{"host", "127.0.0.1:8765"},
                     {"origin", "http://127.0.0.1:8765"},
                     {"sec-fetch-site", "cross-site"}}));
  // Not required (a sign-in from curl): no Origin passes, a wrong one not.
  EXPECT_FALSE(check({{"host", "127.0.0.1:8765"}}, "", false));
  EXPECT_TRUE(check({{"host", "127.0.0.1:8765"}, {"origin", "https://evil.example"}}, "", false));
  EXPECT_TRUE(check({{"host", "127.0.0.1:8765"}, {"sec-fetch-site", "cross-site"}}, "", false));
}

TEST(OriginCheck, AnOriginQuotedInTheRefusalIsCutShortAndHasNoControlCharacters) {
  auto refused = cross_site_refusal(
      from("DELETE", {{"host", "h"}, {"origin", "http://x\n\x01" + std::string(500, 'y')}}), "",
      true);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->message.find('\n'), std::string::npos);
  EXPECT_LT(refused->message.size(), 400u);
}

TEST(OriginCheck, TheOriginOfAUrlIsSchemeHostAndAPortOtherThanTheDefault) {
  EXPECT_EQ(origin_of_url("https://Deploy.Example.com:443/dashboard/"),
            "https://deploy.example.com");
  EXPECT_EQ(origin_of_url("http://10.0.0.1:8765"), "http://10.0.0.1:8765");
  EXPECT_EQ(origin_of_url("http://[::1]:8765/"), "http://[::1]:8765");
  EXPECT_FALSE(origin_of_url(""));
  EXPECT_FALSE(origin_of_url("ftp://example.com"));
  EXPECT_TRUE(is_safe_method("GET"));
  EXPECT_TRUE(is_safe_method("HEAD"));
  EXPECT_FALSE(is_safe_method("POST"));
  EXPECT_FALSE(is_safe_method("DELETE"));
}

}  // namespace
}  // namespace bluegreen::api
