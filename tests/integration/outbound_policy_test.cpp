// The HTTP client with an outbound address policy (SSRF protection) against
// a loopback receiver: without an allowance every spelling of a loopback
// address, and a name that resolves to one, is refused and nothing is sent;
// the operator's allowance by address, network or host name lets the same
// URL through; redirects are never followed.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/net/http_client.hpp"
#include "tests/support/http_receiver.hpp"

namespace bluegreen::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<void> into(std::optional<http_result>& out, asio::awaitable<http_result> task) {
  auto result = co_await std::move(task);
  out.emplace(std::move(result));
}

class OutboundPolicy : public ::testing::Test {
 protected:
  // A POST with a body, as a notification is, under a policy built from
  // `allow`; runs until the client answers (never longer than a minute).
  http_result post(const std::string& url, std::vector<std::string> allow,
                   unsigned max_redirects = 0) {
    http_request request;
    request.method = "POST";
    request.url = url;
    request.headers = {{"Content-Type", "application/json"}};
    request.body = R"({"text":"deployed"})";
    request_options options;
    options.max_redirects = max_redirects;
    options.outbound = std::make_shared<const address_policy>(std::move(allow));
    return run(request, options);
  }

  // Runs the client until it answers (never longer than a minute).
  http_result run(const http_request& request, const request_options& options) {
    std::optional<http_result> out;
    bool done = false;
    io_.restart();
    asio::co_spawn(io_, into(out, client_.send(request, options)), [&](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      done = true;
    });
    auto give_up = std::chrono::steady_clock::now() + 60s;
    while (!done && std::chrono::steady_clock::now() < give_up) io_.run_one_for(100ms);
    if (!done) throw std::runtime_error("the request never ended");
    return std::move(*out);
  }

  std::string at(const std::string& host, const std::string& path = "/hook") const {
    return "http://" + host + ":" + std::to_string(receiver_.port()) + path;
  }

  asio::io_context io_;
  http_client client_;
  testing::http_receiver receiver_;
};

std::string describe(const http_result& r) {
  if (r.ok()) return "HTTP " + std::to_string(r.response().status);
  return std::string(to_string(r.error().kind)) + ": " + r.error().message;
}

TEST_F(OutboundPolicy, EverySpellingOfLoopbackIsRefusedWithoutAnAllowanceAndNothingIsSent) {
  for (const std::string host :
       {"127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f000001", "0.0.0.0", "0",
        "[::ffff:127.0.0.1]", "[::1]", "[::]", "localhost", "LOCALHOST"}) {
    auto result = post(at(host), {});
    ASSERT_FALSE(result.ok()) << host << " was sent: " << describe(result);
    EXPECT_EQ(result.error().kind, error_kind::refused) << host << ": " << describe(result);
    EXPECT_NE(result.error().message.find("[outbound] allow"), std::string::npos)
        << describe(result);
  }
  auto metadata = post("http://169.254.169.254/latest/meta-data/", {});
  ASSERT_FALSE(metadata.ok());
  EXPECT_EQ(metadata.error().kind, error_kind::refused) << describe(metadata);

  // One allowed request afterwards: once the receiver has seen it, it has
  // seen every connection made before it.
  auto allowed = post(at("127.0.0.1"), {"127.0.0.1"});
  ASSERT_TRUE(allowed.ok()) << describe(allowed);
  ASSERT_TRUE(receiver_.wait_for(1));
  EXPECT_EQ(receiver_.connections(), 1u);
  EXPECT_EQ(receiver_.requests().size(), 1u);
}

TEST_F(OutboundPolicy, TheRefusalSaysWhichAddressAndWhatToAdd) {
  auto literal = post(at("0177.0.0.1"), {});
  ASSERT_FALSE(literal.ok());
  EXPECT_EQ(literal.error().message,
            "refused to send the request: 0177.0.0.1 is 127.0.0.1, a loopback address; add "
            "\"127.0.0.1\" to [outbound] allow to let bluegreend reach it");
  auto name = post(at("localhost"), {});
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.error().message.find("localhost resolves to "), std::string::npos)
      << name.error().message;
  EXPECT_NE(name.error().message.find("add \"localhost\""), std::string::npos)
      << name.error().message;
  // The path of a webhook URL is its secret: it stays out of the message.
  EXPECT_EQ(name.error().message.find("/hook"), std::string::npos) << name.error().message;
  EXPECT_EQ(receiver_.connections(), 0u);
}

TEST_F(OutboundPolicy, AnAllowedAddressLetsEverySpellingOfItThrough) {
  for (const std::string host : {"127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.1", "127.1"}) {
    auto result = post(at(host, "/hook/" + host), {"127.0.0.1"});
    ASSERT_TRUE(result.ok()) << host << ": " << describe(result);
    EXPECT_EQ(result.response().status, 200);
  }
  ASSERT_TRUE(receiver_.wait_for(5));
  auto seen = receiver_.requests();
  EXPECT_EQ(seen[1].target, "/hook/2130706433");
  EXPECT_EQ(seen[1].method, "POST");
  EXPECT_EQ(seen[1].body, R"({"text":"deployed"})");
  // Another loopback address is still refused.
  auto other = post("http://127.0.0.2:" + std::to_string(receiver_.port()) + "/", {"127.0.0.1"});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, error_kind::refused);
}

TEST_F(OutboundPolicy, AnAllowedNetworkLetsItsAddressesThrough) {
  auto result = post(at("127.0.0.1"), {"127.0.0.0/8"});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().status, 200);
  auto outside = post(at("127.0.0.1"), {"10.0.0.0/8"});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().kind, error_kind::refused);
  ASSERT_TRUE(receiver_.wait_for(1));
  EXPECT_EQ(receiver_.connections(), 1u);
}

TEST_F(OutboundPolicy, AnAllowedHostNameLetsWhatItResolvesToThrough) {
  auto result = post(at("localhost"), {"localhost"});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().status, 200);
  ASSERT_TRUE(receiver_.wait_for(1));
  EXPECT_EQ(receiver_.requests()[0].headers["host"],
            "localhost:" + std::to_string(receiver_.port()));
  // The name allows the name only, not its address written out.
  auto literal = post(at("127.0.0.1"), {"localhost"});
  ASSERT_FALSE(literal.ok());
  EXPECT_EQ(literal.error().kind, error_kind::refused);
}

TEST_F(OutboundPolicy, ARedirectIsNeverFollowed) {
  testing::http_receiver elsewhere;
  receiver_.answer_next({302, {{"Location", elsewhere.url("/internal")}}, ""});
  auto result = post(at("127.0.0.1"), {"127.0.0.1"}, 5);
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().status, 302);
  EXPECT_EQ(result.response().header("Location"), elsewhere.url("/internal"));
  ASSERT_TRUE(receiver_.wait_for(1));
  EXPECT_EQ(elsewhere.connections(), 0u);
  EXPECT_EQ(elsewhere.requests().size(), 0u);
}

TEST_F(OutboundPolicy, AnUnusableUrlSaysWhatIsWrongAndNeverQuotesItsPathOrCredentials) {
  const std::string secret = "XXXXsecret";
  struct bad {
    std::string url;
    std::string says;
  };
  for (const auto& [url, says] : std::vector<bad>{
           {"http://admin:" + secret + "@" + at("127.0.0.1", "/T000/" + secret).substr(7),
            "user information"},
           {"http://admin:" + secret + "/T000/" + secret, "host or port"},
           {"http://[fe80::1%25eth0]:" + std::to_string(receiver_.port()) + "/" + secret,
            "zone id"},
           {"ftp://127.0.0.1/" + secret, "http:// or https://"},
           {"http://bad_host!:80/" + secret + "?token=" + secret, "host or port"},
       }) {
    auto result = post(url, {"127.0.0.1", "fe80::/10"});
    ASSERT_FALSE(result.ok()) << url;
    EXPECT_EQ(result.error().kind, error_kind::invalid_request) << describe(result);
    EXPECT_NE(result.error().message.find(says), std::string::npos) << describe(result);
    EXPECT_EQ(result.error().message.find(secret), std::string::npos) << describe(result);
    EXPECT_EQ(result.error().message.find("admin"), std::string::npos) << describe(result);
  }
  EXPECT_EQ(receiver_.connections(), 0u);
}

TEST_F(OutboundPolicy, ARedirectErrorNamesTheOriginNotThePath) {
  http_request request;
  request.url = at("127.0.0.1", "/services/T000/secret");
  receiver_.answer_next({302, {{"Location", "gopher://elsewhere/"}}, ""});
  request_options options;
  options.max_redirects = 3;  // no policy: redirects are followed
  auto out = run(request, options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "http://127.0.0.1:" + std::to_string(receiver_.port()) +
                                     " redirects to a location that is not an http:// or "
                                     "https:// URL");
}

}  // namespace
}  // namespace bluegreen::net
