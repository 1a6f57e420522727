// URL parsing and the redirect rules of the HTTP client: pure functions.
#include <gtest/gtest.h>

#include "daemon/net/host_port.hpp"
#include "daemon/net/http_header.hpp"
#include "daemon/net/redirect.hpp"
#include "daemon/net/url.hpp"

namespace bluegreen::net {
namespace {

TEST(NetUrl, SplitsSchemeHostPortAndTarget) {
  auto u = parse_url("HTTPS://api.example.com:8443/v2/apps?page=2#top");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_TRUE(u->tls());
  EXPECT_EQ(u->host, "api.example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/v2/apps?page=2");
  EXPECT_EQ(u->authority(), "api.example.com:8443");

  auto plain = parse_url("http://10.0.0.5");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->target, "/");
  EXPECT_EQ(plain->authority(), "10.0.0.5");

  auto query = parse_url("http://h?x=1");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->target, "/?x=1");
}

TEST(NetUrl, Ipv6LiteralsKeepTheirBracketsOutOfTheHost) {
  auto u = parse_url("http://[::1]:8080/health");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->authority(), "[::1]:8080");
  EXPECT_EQ(u->endpoint(), "[::1]:8080");
  EXPECT_EQ(u->text(), "http://[::1]:8080/health");
  auto default_port = parse_url("https://[2001:db8::2]/");
  ASSERT_TRUE(default_port);
  EXPECT_EQ(default_port->authority(), "[2001:db8::2]");
}

TEST(NetUrl, RefusesWhatARequestCannotCarry) {
  for (const char* bad :
       {"", "ftp://h/", "http://", "http:///x", "http://h:0/", "http://h:65536/", "http://h:/",
        "http://h:8x/", "http://user:pw@h/", "http://h/a b", "http://h/\r\nX: 1", "http://[::1/",
        "http://[zz]/", "http://::1/", "http://h]/", "http://[::1]x/"})
    EXPECT_FALSE(parse_url(bad)) << bad;
}

TEST(NetUrl, ResolvesRedirectLocations) {
  auto base = *parse_url("https://api.example.com:8443/v2/apps/list?page=1");
  EXPECT_EQ(resolve_reference(base, "/login")->text(), "https://api.example.com:8443/login");
  EXPECT_EQ(resolve_reference(base, "?page=2")->text(),
            "https://api.example.com:8443/v2/apps/list?page=2");
  EXPECT_EQ(resolve_reference(base, "other")->text(), "https://api.example.com:8443/v2/apps/other");
  EXPECT_EQ(resolve_reference(base, "//cdn.example.com/x")->text(), "https://cdn.example.com/x");
  EXPECT_EQ(resolve_reference(base, "http://elsewhere/y")->text(), "http://elsewhere/y");
  EXPECT_FALSE(resolve_reference(base, "mailto:ops@example.com"));
}

TEST(NetRedirect, SeeOtherBecomesAGetAndCredentialsStayWithTheirOrigin) {
  EXPECT_TRUE(is_redirect(301));
  EXPECT_TRUE(is_redirect(308));
  EXPECT_FALSE(is_redirect(304));
  EXPECT_FALSE(is_redirect(200));

  http_request post;
  post.method = "POST";
  post.url = "https://a.example/form";
  post.body = "a=1";
  post.headers = {{"Authorization", "Bearer s"}, {"Content-Type", "text/plain"}, {"X-Keep", "1"}};
  auto from = *parse_url(post.url);
  auto same = *parse_url("https://a.example/done");
  auto other = *parse_url("https://b.example/done");

  auto see_other = redirected_request(post, from, same, 303);
  EXPECT_EQ(see_other.method, "GET");
  EXPECT_TRUE(see_other.body.empty());
  EXPECT_EQ(see_other.url, "https://a.example/done");
  EXPECT_FALSE(find_header(see_other.headers, "content-type"));
  EXPECT_EQ(find_header(see_other.headers, "authorization"), "Bearer s");

  auto temporary = redirected_request(post, from, other, 307);
  EXPECT_EQ(temporary.method, "POST");
  EXPECT_EQ(temporary.body, "a=1");
  EXPECT_FALSE(find_header(temporary.headers, "Authorization"));
  EXPECT_EQ(find_header(temporary.headers, "X-Keep"), "1");
}

// One set of address rules for the client's URLs and the configuration.
TEST(NetHostPort, TakesNamesIpv4AndBracketedIpv6WithOrWithoutAPort) {
  auto name = parse_host_port("app-1.internal_x");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->host, "app-1.internal_x");
  EXPECT_FALSE(name->port);
  auto v4 = parse_host_port("10.0.0.2:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "10.0.0.2");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = parse_host_port("[2001:db8::1]:22");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->port, 22);
}

TEST(NetHostPort, RefusesWhatIsNotOneHostAndPort) {
  for (const char* bad :
       {"", "::1", "2001:db8::1:22", "[not-v6]:80", "[::1", "[::1]80", "a:", "a:0", "a:65536",
        "a:-1", "a:+1", "a b", "a/b", "a@b", "a%41", "a~b", "[::1]:"})
    EXPECT_FALSE(parse_host_port(bad)) << bad;
  EXPECT_FALSE(parse_host_port("a", {.port_required = true}));
  EXPECT_FALSE(parse_host_port("127.0.0.1:0", {.port_required = true}));
  auto any_port = parse_host_port("127.0.0.1:0", {.port_required = true, .allow_zero_port = true});
  ASSERT_TRUE(any_port);
  EXPECT_EQ(any_port->port, 0);
}

TEST(NetHostPort, UrlsFollowTheSameRules) {
  EXPECT_FALSE(parse_url("http://[not-v6]/"));
  EXPECT_FALSE(parse_url("http://2001:db8::1/"));
  EXPECT_FALSE(parse_url("http://a~b/"));
  EXPECT_FALSE(parse_url("http://a:0/"));
  auto ok = parse_url("http://[::1]:8080/x");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->host, "::1");
  EXPECT_EQ(ok->port, 8080);
}

TEST(NetHttpHeader, DecimalValuesAreNonNegativeIntegersWithOptionalSpaceAround) {
  EXPECT_EQ(decimal_value("65"), 65);
  EXPECT_EQ(decimal_value(" \t120 "), 120);
  EXPECT_EQ(decimal_value("0"), 0);
  for (const char* bad :
       {"", " ", "-1", "+1", "1.5", "Wed, 21 Oct 2026 07:28:00 GMT", "99999999999999999999"})
    EXPECT_FALSE(decimal_value(bad)) << bad;
}

}  // namespace
}  // namespace bluegreen::net
