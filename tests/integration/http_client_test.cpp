// The HTTP client against servers the test starts on 127.0.0.1 (port 0) on
// the client's own io_context: plain HTTP, and HTTPS with a throwaway
// self-signed certificate made by the test.
#include "daemon/net/http_client.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <functional>
#include <optional>

#include "daemon/checks/http_probe.hpp"
#include "daemon/checks/identity_probe.hpp"
#include "daemon/checks/smoke_checks.hpp"
#include "daemon/net/tls_context.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_certificate.hpp"

namespace bluegreen::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

using server_request = http::request<http::string_body>;
using server_response = http::response<http::string_body>;
using responder = std::function<server_response(const server_request&)>;

server_response reply(int status, std::string body) {
  server_response r{static_cast<http::status>(status), 11};
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

// Answers each request with `respond`, or, without one, accepts connections
// and never says anything on them.
class test_server {
 public:
  test_server(asio::io_context& io, responder respond, asio::ssl::context* tls = nullptr)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        respond_(std::move(respond)),
        tls_(tls) {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& target, const std::string& host = "127.0.0.1") const {
    return (tls_ ? "https://" : "http://") + host + ":" + std::to_string(port()) + target;
  }

  std::vector<server_request> seen;  // every request read, in order
  int accepted = 0;

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      ++accepted;
      if (!respond_) {
        held_.push_back(std::move(socket));
        continue;
      }
      auto executor = co_await asio::this_coro::executor;
      asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    if (!tls_) {
      beast::tcp_stream stream(std::move(socket));
      co_await answer(stream);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls_);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (!ec) co_await answer(stream);
  }

  template <typename Stream>
  asio::awaitable<void> answer(Stream& stream) {
    beast::flat_buffer buffer;
    server_request request;
    auto [read_ec, read] = co_await http::async_read(stream, buffer, request, use_tuple);
    if (read_ec) co_return;
    seen.push_back(request);
    auto response = respond_(request);
    response.keep_alive(false);
    co_await http::async_write(stream, response, use_tuple);
  }

  tcp::acceptor acceptor_;
  responder respond_;
  asio::ssl::context* tls_;
  std::vector<tcp::socket> held_;
};

// http_result has no empty state, which co_spawn's completion wants.
asio::awaitable<void> into(std::optional<http_result>& out, asio::awaitable<http_result> task) {
  auto result = co_await std::move(task);
  out.emplace(std::move(result));
}

class HttpClient : public ::testing::Test {
 protected:
  // Runs the exchange on the test's io_context until it ends; a client that
  // never returned would fail here rather than hang the suite.
  http_result send(const http_request& request, const request_options& options) {
    std::optional<http_result> out;
    std::exception_ptr failure;
    bool done = false;
    io_.restart();  // the context stops whenever it runs out of work
    asio::co_spawn(io_, into(out, client_.send(request, options)), [&](std::exception_ptr e) {
      failure = e;
      done = true;
    });
    auto give_up = std::chrono::steady_clock::now() + 60s;
    while (!done && std::chrono::steady_clock::now() < give_up) io_.run_one_for(100ms);
    if (failure) std::rethrow_exception(failure);
    if (!done) throw std::runtime_error("the request never ended");
    return std::move(*out);
  }

  http_result get(const std::string& url, const request_options& options = {}) {
    http_request request;
    request.url = url;
    return send(request, options);
  }

  std::unique_ptr<asio::ssl::context> server_tls(const testing::tls_certificate& cert) {
    auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->use_certificate_chain_file(cert.certificate.string());
    tls->use_private_key_file(cert.key.string(), asio::ssl::context::pem);
    return tls;
  }

  asio::io_context io_;
  testing::temp_dir dir_;
  http_client client_{std::make_shared<tls_context>()};
};

std::string describe(const http_result& r) {
  if (r.ok()) return "HTTP " + std::to_string(r.response().status);
  return std::string(to_string(r.error().kind)) + ": " + r.error().message;
}

TEST_F(HttpClient, GetSendsItsHeadersAndReturnsStatusHeadersAndBody) {
  test_server server(io_, [](const server_request&) {
    auto r = reply(203, "hello");
    r.set("X-Answer", "42");
    return r;
  });
  http_request request;
  request.url = server.url("/health?deep=1#ignored");
  request.headers = {{"X-Trace", "abc"}, {"Accept", "text/plain"}};
  auto result = send(request, {});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().status, 203);
  EXPECT_EQ(result.response().body, "hello");
  EXPECT_EQ(result.response().header("x-answer"), "42");
  ASSERT_EQ(server.seen.size(), 1u);
  const auto& seen = server.seen[0];
  EXPECT_EQ(seen.method_string(), "GET");
  EXPECT_EQ(seen.target(), "/health?deep=1");
  EXPECT_EQ(seen["X-Trace"], "abc");
  EXPECT_EQ(seen["Accept"], "text/plain");
  EXPECT_EQ(seen["Host"], "127.0.0.1:" + std::to_string(server.port()));
}

TEST_F(HttpClient, PostSendsItsBodyAndAnyMethodIsSent) {
  test_server server(io_, [](const server_request& r) {
    return reply(201, std::string(r.method_string()) + " " + r.body());
  });
  http_request request;
  request.method = "POST";
  request.url = server.url("/v2/droplets");
  request.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer t0ken"}};
  request.body = R"({"name":"green"})";
  auto result = send(request, {});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().status, 201);
  EXPECT_EQ(result.response().body, R"(POST {"name":"green"})");
  ASSERT_EQ(server.seen.size(), 1u);
  EXPECT_EQ(server.seen[0]["Content-Type"], "application/json");
  EXPECT_EQ(server.seen[0]["Authorization"], "Bearer t0ken");
  EXPECT_EQ(server.seen[0]["Content-Length"], "16");

  request.method = "PATCH";
  request.body = "x";
  result = send(request, {});
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().body, "PATCH x");
}

TEST_F(HttpClient, AnErrorStatusIsAnAnswerNotAFailure) {
  test_server server(io_, [](const server_request&) { return reply(503, "down"); });
  auto result = get(server.url("/"));
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().status, 503);
  EXPECT_EQ(result.response().body, "down");
}

TEST_F(HttpClient, AnAnswerOverTheSizeCapIsTooLarge) {
  test_server server(io_, [](const server_request&) { return reply(200, std::string(5000, 'x')); });
  request_options small;
  small.max_body_bytes = 4096;
  auto result = get(server.url("/big"), small);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, error_kind::too_large) << describe(result);
  EXPECT_NE(result.error().message.find("4096"), std::string::npos) << result.error().message;

  request_options enough;
  enough.max_body_bytes = 5000;
  result = get(server.url("/big"), enough);
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().body.size(), 5000u);
}

TEST_F(HttpClient, AServerThatNeverAnswersEndsAtTheDeadline) {
  test_server server(io_, nullptr);
  request_options options;
  options.total_timeout = 300ms;
  auto result = get(server.url("/"), options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, error_kind::timeout) << describe(result);
  EXPECT_EQ(result.error().message, "no complete answer before the deadline");
  EXPECT_EQ(server.accepted, 1);
}

TEST_F(HttpClient, ATlsServerThatNeverAnswersEndsAtTheDeadline) {
  test_server server(io_, nullptr);
  request_options options;
  options.total_timeout = 300ms;
  auto result = get("https://127.0.0.1:" + std::to_string(server.port()) + "/", options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, error_kind::timeout) << describe(result);
  EXPECT_NE(result.error().message.find("TLS handshake with 127.0.0.1"), std::string::npos)
      << result.error().message;
}

TEST_F(HttpClient, AConnectionThatIsNeverAcceptedEndsAtTheConnectTimeout) {
  // A listener that never accepts, with its backlog full: the kernel drops
  // further connection attempts, so they neither succeed nor fail.
  tcp::acceptor full(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), false);
  full.listen(0);
  std::string url = "http://127.0.0.1:" + std::to_string(full.local_endpoint().port()) + "/";
  std::vector<std::unique_ptr<tcp::socket>> queued;
  request_options options;
  options.connect_timeout = 200ms;
  options.total_timeout = 1s;  // for the attempts that still get into the backlog
  std::optional<http_result> result;
  for (int attempt = 0; attempt < 16; ++attempt) {
    result = get(url, options);
    if (!result->ok() && result->error().message.starts_with("cannot connect")) break;
    auto socket = std::make_unique<tcp::socket>(io_);
    socket->async_connect(full.local_endpoint(), [](boost::system::error_code) {});
    queued.push_back(std::move(socket));
  }
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().kind, error_kind::timeout) << describe(*result);
  EXPECT_EQ(result->error().message,
            "cannot connect to 127.0.0.1:" + std::to_string(full.local_endpoint().port()) +
                ": timed out");
}

TEST_F(HttpClient, ARefusedConnectionIsAConnectError) {
  // Bound but not listening: the port stays ours and every connect is refused.
  tcp::socket closed(io_, tcp::v4());
  closed.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string port = std::to_string(closed.local_endpoint().port());
  auto result = get("http://127.0.0.1:" + port + "/");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, error_kind::connect) << describe(result);
  EXPECT_EQ(result.error().message, "cannot connect to 127.0.0.1:" + port + ": Connection refused");
}

TEST_F(HttpClient, AnUnresolvableHostIsADnsError) {
  auto result = get("http://no-such-host.invalid/");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, error_kind::dns) << describe(result);
  EXPECT_NE(result.error().message.find("cannot resolve no-such-host.invalid"), std::string::npos);
}

TEST_F(HttpClient, HttpsIsVerifiedWithTheTargetsCaFileAndOnlyForThatRequest) {
  auto cert = testing::make_self_signed(dir_.path(), "app", {"localhost"}, {"127.0.0.1"});
  auto tls = server_tls(cert);
  test_server server(
      io_, [](const server_request&) { return reply(200, "secure"); }, tls.get());

  request_options with_ca;
  with_ca.ca_file = cert.certificate.string();
  auto result = get(server.url("/"), with_ca);
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().body, "secure");
  result = get(server.url("/", "localhost"), with_ca);
  ASSERT_TRUE(result.ok()) << describe(result);

  // The same (shared) TLS context without the CA file: the self-signed
  // certificate is not trusted, so one target's CA never leaks to another.
  result = get(server.url("/"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, error_kind::tls) << describe(result);
  EXPECT_NE(result.error().message.find("certificate verification failed: self-signed"),
            std::string::npos)
      << result.error().message;
  EXPECT_EQ(server.seen.size(), 2u);
}

TEST_F(HttpClient, ACertificateForAnotherHostIsRefused) {
  auto cert = testing::make_self_signed(dir_.path(), "other", {"other.example"}, {"10.1.2.3"});
  auto tls = server_tls(cert);
  test_server server(
      io_, [](const server_request&) { return reply(200, "secure"); }, tls.get());
  request_options with_ca;
  with_ca.ca_file = cert.certificate.string();

  auto by_address = get(server.url("/"), with_ca);
  ASSERT_FALSE(by_address.ok());
  EXPECT_EQ(by_address.error().kind, error_kind::tls) << describe(by_address);
  EXPECT_NE(by_address.error().message.find("IP address mismatch"), std::string::npos)
      << by_address.error().message;

  auto by_name = get(server.url("/", "localhost"), with_ca);
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.error().kind, error_kind::tls) << describe(by_name);
  EXPECT_NE(by_name.error().message.find("hostname mismatch"), std::string::npos)
      << by_name.error().message;
  EXPECT_TRUE(server.seen.empty());
}

TEST_F(HttpClient, AMissingCaFileIsATlsErrorBeforeConnecting) {
  test_server server(io_, [](const server_request&) { return reply(200, ""); });
  request_options options;
  options.ca_file = (dir_.path() / "missing.pem").string();
  auto result = get("https://127.0.0.1:" + std::to_string(server.port()) + "/", options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, error_kind::tls) << describe(result);
  EXPECT_NE(result.error().message.find("cannot read the CA file"), std::string::npos);
  EXPECT_EQ(server.accepted, 0);
}

responder redirecting() {
  return [](const server_request& r) {
    if (r.target() == "/old" || r.target() == "/form") {
      auto out = reply(r.target() == "/old" ? 302 : 303, "moved");
      out.set(http::field::location, "/new");
      return out;
    }
    if (r.target() == "/loop") {
      auto out = reply(307, "");
      out.set(http::field::location, "/loop");
      return out;
    }
    return reply(200, std::string(r.method_string()) + " " + std::string(r.target()) + " [" +
                          r.body() + "]");
  };
}

TEST_F(HttpClient, ARedirectIsReturnedNotFollowedByDefault) {
  test_server server(io_, redirecting());
  auto result = get(server.url("/old"));
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().status, 302);
  EXPECT_EQ(result.response().header("Location"), "/new");
  ASSERT_EQ(server.seen.size(), 1u);
}

TEST_F(HttpClient, RedirectsAreFollowedWhenAskedUpToTheLimit) {
  test_server server(io_, redirecting());
  request_options follow;
  follow.max_redirects = 3;
  auto result = get(server.url("/old"), follow);
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().status, 200);
  EXPECT_EQ(result.response().body, "GET /new []");
  EXPECT_EQ(result.response().url, server.url("/new"));

  http_request post;
  post.method = "POST";
  post.url = server.url("/form");
  post.body = "a=1";
  result = send(post, follow);
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().body, "GET /new []");  // 303: see the other resource

  auto before = server.seen.size();
  result = get(server.url("/loop"), follow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, error_kind::redirects) << describe(result);
  EXPECT_EQ(server.seen.size() - before, 4u);  // the request and three redirects
}

TEST_F(HttpClient, ARequestThatCannotBeSentIsRefusedWithoutConnecting) {
  test_server server(io_, [](const server_request&) { return reply(200, ""); });
  auto bad_url = get("ftp://127.0.0.1/");
  ASSERT_FALSE(bad_url.ok());
  EXPECT_EQ(bad_url.error().kind, error_kind::invalid_request);
  EXPECT_EQ(bad_url.error().message,
            "not a URL this client can send to: the URL does not start with http:// or https://");

  http_request injected;
  injected.url = server.url("/");
  injected.headers = {{"X-Evil", "a\r\nX-Injected: 1"}};
  auto bad_header = send(injected, {});
  ASSERT_FALSE(bad_header.ok());
  EXPECT_EQ(bad_header.error().kind, error_kind::invalid_request);
  EXPECT_EQ(server.accepted, 0);
}

// The probes (smoke checks, health re-checks, the identity probe) are thin
// callers of the client: an answer of any status is a value, no answer is a
// failure whose code is the client's error kind.
template <typename T>
asio::awaitable<void> store_into(std::optional<T>& out, asio::awaitable<T> work) {
  auto result = co_await std::move(work);
  out.emplace(std::move(result));
}

template <typename T>
T wait_for(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> out;
  io.restart();
  asio::co_spawn(io, store_into(out, std::move(work)), asio::detached);
  auto give_up = std::chrono::steady_clock::now() + 60s;
  while (!out && std::chrono::steady_clock::now() < give_up) io.run_one_for(100ms);
  if (!out) throw std::runtime_error("the probe never ended");
  return std::move(*out);
}

checks::probe_result probe(asio::io_context& io, const std::string& url,
                           std::chrono::milliseconds timeout = 5000ms) {
  return wait_for(io, checks::http_get(url, timeout));
}

std::string describe(const checks::probe_result& r) {
  return r ? "HTTP " + std::to_string(r->status) : r.error().code + ": " + r.error().message;
}

TEST_F(HttpClient, TheProbeReportsTheAnswerOrWhyThereWasNone) {
  test_server server(io_, [](const server_request& r) {
    if (r.target() == "/big") return reply(200, std::string(1024 * 1024 + 1, 'x'));
    auto out = reply(500, "blue-production\n");
    out.set("X-Seen-Agent", r["User-Agent"]);
    return out;
  });
  auto answered = probe(io_, server.url("/hostname"));
  ASSERT_TRUE(answered.ok()) << describe(answered);
  EXPECT_EQ(answered->status, 500);
  EXPECT_EQ(answered->body, "blue-production\n");
  ASSERT_EQ(server.seen.size(), 1u);
  EXPECT_EQ(server.seen[0]["User-Agent"], "bluegreend-probe");
  EXPECT_EQ(server.seen[0]["Cache-Control"], "no-cache");

  auto big = probe(io_, server.url("/big"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "too_large");
  EXPECT_EQ(big.error().message,
            "reading the answer failed: the body is larger than 1048576 bytes");

  tcp::socket closed(io_, tcp::v4());
  closed.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string port = std::to_string(closed.local_endpoint().port());
  auto refused = probe(io_, "http://127.0.0.1:" + port + "/");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "connect");
  EXPECT_EQ(refused.error().message,
            "cannot connect to 127.0.0.1:" + port + ": Connection refused");

  auto not_http = probe(io_, "ftp://127.0.0.1/");
  ASSERT_FALSE(not_http.ok());
  EXPECT_EQ(not_http.error().code, "invalid_request");
  EXPECT_EQ(not_http.error().message,
            "not a URL this client can send to: the URL does not start with http:// or https://");
}

TEST_F(HttpClient, AProbeOfAServerThatNeverAnswersFailsAsATimeout) {
  test_server server(io_, nullptr);
  auto r = probe(io_, server.url("/hostname"), 300ms);
  ASSERT_FALSE(r.ok()) << describe(r);
  EXPECT_EQ(r.error().what, daemon::failure::kind::unavailable);
  EXPECT_EQ(r.error().code, "timeout");
  EXPECT_EQ(r.error().message, "no complete answer before the deadline");
  EXPECT_TRUE(r.error().detail.empty());
}

TEST_F(HttpClient, AFailingSmokeCheckIsAFailureNamingTheCheckAndWhatItSaw) {
  test_server server(io_, [](const server_request& r) {
    if (r.target() == "/healthz") return reply(200, "ok");
    return reply(503, "warming up\n");
  });
  daemon::check_config healthz;
  healthz.path = "/healthz";
  daemon::check_config ready;
  ready.path = "/ready";
  std::function<void(const std::string&)> quiet;
  auto passed = wait_for(io_, checks::run_checks(server.url(""), {healthz}, {}, false, quiet));
  ASSERT_TRUE(passed.ok()) << passed.error().message;
  EXPECT_EQ(*passed, "1 check(s) passed");

  auto failed =
      wait_for(io_, checks::run_checks(server.url(""), {healthz, ready}, {}, false, quiet));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "check_failed");
  EXPECT_EQ(failed.error().message,
            "check " + server.url("/ready") + " expected HTTP 200, got HTTP 503 \"warming up\"");
}

TEST_F(HttpClient, OneAnswerFromTheExpectedColourSettlesItAndTheOtherColourNeedsThree) {
  // Before a switch: an old nginx worker answers for the other colour
  // first, then the colour the load balancer routes to answers once.
  std::atomic<int> asked{0};
  test_server reloaded(io_, [&asked](const server_request&) {
    return reply(200, asked++ == 0 ? "green-production\n" : "blue-production\n");
  });
  auto seen = wait_for(io_, checks::probe_identity(reloaded.url("/hostname"), "blue-production",
                                                   "green-production", daemon::colour::blue, 1));
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_EQ(seen->colour, daemon::colour::blue);
  EXPECT_EQ(asked.load(), 2);

  // A load balancer that serves the other colour throughout is named as
  // serving it: drift, after three answers.
  std::atomic<int> asked_other{0};
  test_server other(io_, [&asked_other](const server_request&) {
    ++asked_other;
    return reply(200, "green-production");
  });
  auto drift = wait_for(io_, checks::probe_identity(other.url("/hostname"), "blue-production",
                                                    "green-production", daemon::colour::blue, 1));
  ASSERT_TRUE(drift.ok()) << drift.error().message;
  EXPECT_EQ(drift->colour, daemon::colour::green);
  EXPECT_EQ(asked_other.load(), 3);
}

TEST_F(HttpClient, AnIdentityAnswerNamingNeitherColourIsAFailure) {
  test_server server(io_, [](const server_request& r) {
    if (r.target() == "/blue") return reply(200, "blue-production\n");
    return reply(502, "Bad Gateway");
  });
  auto blue = wait_for(io_, checks::probe_identity(server.url("/blue"), "blue-production",
                                                   "green-production", std::nullopt));
  ASSERT_TRUE(blue.ok()) << blue.error().message;
  EXPECT_EQ(blue->colour, daemon::colour::blue);

  auto gateway = wait_for(io_, checks::probe_identity(server.url("/hostname"), "blue-production",
                                                      "green-production", std::nullopt));
  ASSERT_FALSE(gateway.ok());
  EXPECT_EQ(gateway.error().code, "unexpected_answer");
  EXPECT_EQ(gateway.error().message, "HTTP 502");

  tcp::socket closed(io_, tcp::v4());
  closed.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string port = std::to_string(closed.local_endpoint().port());
  auto refused = wait_for(
      io_, checks::probe_identity("http://127.0.0.1:" + port + "/hostname", "blue-production",
                                  "green-production", daemon::colour::blue));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "connect");
  EXPECT_EQ(refused.error().message,
            "cannot connect to 127.0.0.1:" + port + ": Connection refused");
}

TEST_F(HttpClient, TheProbeVerifiesHttpsAgainstTheSystemStore) {
  auto cert = testing::make_self_signed(dir_.path(), "app", {"localhost"}, {"127.0.0.1"});
  auto tls = server_tls(cert);
  test_server server(
      io_, [](const server_request&) { return reply(200, "secure"); }, tls.get());
  auto r = probe(io_, server.url("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "tls");
  EXPECT_EQ(r.error().message,
            "TLS handshake with 127.0.0.1 failed: certificate verification failed: self-signed "
            "certificate");
}

// A server that answers one connection with `head`, then each of `pieces`,
// writing piece N only once the client's sink has seen N pieces (saw()) or
// after a minute; it then closes, or with `hold` keeps the connection open.
class streaming_server {
 public:
  streaming_server(asio::io_context& io, std::string head, std::vector<std::string> pieces,
                   bool hold = false)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        next_(io),
        head_(std::move(head)),
        pieces_(std::move(pieces)),
        hold_(hold) {
    asio::co_spawn(io, serve(), asio::detached);
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/stream";
  }

  void saw() {
    ++seen_;
    next_.cancel();
  }
  std::vector<bool> waited_out;  // per piece after the first: written without the client's go

 private:
  asio::awaitable<void> serve() {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec) co_return;
    beast::flat_buffer buffer;
    server_request request;
    auto [read_ec, read] = co_await http::async_read(socket, buffer, request, use_tuple);
    if (read_ec) co_return;
    auto head = asio::buffer(head_);
    co_await asio::async_write(socket, head, use_tuple);
    for (size_t i = 0; i < pieces_.size(); ++i) {
      if (i > 0) {
        bool timed_out = false;
        while (seen_ < static_cast<int>(i) && !timed_out) {
          next_.expires_after(60s);
          auto [wait_ec] = co_await next_.async_wait(use_tuple);
          timed_out = !wait_ec;
        }
        waited_out.push_back(timed_out);
      }
      auto piece = asio::buffer(pieces_[i]);
      co_await asio::async_write(socket, piece, use_tuple);
    }
    if (hold_) held_ = std::move(socket);
  }

  tcp::acceptor acceptor_;
  asio::steady_timer next_;
  int seen_ = 0;
  std::string head_;
  std::vector<std::string> pieces_;
  bool hold_;
  std::optional<tcp::socket> held_;
};

class HttpClientStreaming : public HttpClient {
 protected:
  http_result stream(const std::string& url, const request_options& options,
                     http_client::body_sink sink) {
    http_request request;
    request.url = url;
    std::optional<http_result> out;
    bool done = false;
    io_.restart();
    asio::co_spawn(io_, into(out, client_.send_streaming(request, options, std::move(sink))),
                   [&](std::exception_ptr) { done = true; });
    auto give_up = std::chrono::steady_clock::now() + 60s;
    while (!done && std::chrono::steady_clock::now() < give_up) io_.run_one_for(100ms);
    if (!done || !out) throw std::runtime_error("the stream never ended");
    return std::move(*out);
  }
};

TEST_F(HttpClientStreaming, EachPieceOfTheBodyArrivesBeforeTheServerSendsTheNext) {
  // No length: the body ends when the server closes, as the daemon's
  // followed log and event stream do.
  streaming_server server(io_, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
                          {"event: line\ndata: 1\n\n", "event: end\ndata: 2\n\n"});
  std::vector<std::string> pieces;
  auto result = stream(server.url(), {}, [&](std::string_view piece) {
    pieces.emplace_back(piece);
    server.saw();  // the server may go on
    return true;
  });
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().status, 200);
  EXPECT_EQ(result.response().header("Content-Type"), "text/event-stream");
  EXPECT_EQ(result.response().body, "");
  std::string all;
  for (const auto& p : pieces) all += p;
  EXPECT_EQ(all, "event: line\ndata: 1\n\nevent: end\ndata: 2\n\n");
  EXPECT_EQ(server.waited_out, std::vector<bool>{false}) << "the first piece came only at the end";
}

TEST_F(HttpClientStreaming, ASinkThatSaysStopEndsTheExchangeWithTheAnswer) {
  streaming_server server(io_, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                          {"5\r\nfirst\r\n"}, true);
  std::string seen;
  auto result = stream(server.url(), {}, [&](std::string_view piece) {
    seen += piece;
    return false;
  });
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(seen, "first");
}

TEST_F(HttpClientStreaming, AStreamThatFallsSilentEndsAtTheIdleTimeout) {
  streaming_server server(io_, "HTTP/1.1 200 OK\r\n\r\n", {"hello"}, true);
  request_options options;
  options.idle_timeout = 300ms;
  std::string seen;
  auto result = stream(server.url(), options, [&](std::string_view piece) {
    seen += piece;
    return true;
  });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, error_kind::timeout) << describe(result);
  EXPECT_EQ(seen, "hello");
}

TEST_F(HttpClientStreaming, AnErrorAnswersBodyIsReadWholeAndNotStreamed) {
  test_server server(io_, [](const server_request&) {
    return reply(404, R"({"error":{"code":"unknown_operation","message":"no operation 9"}})");
  });
  bool called = false;
  auto result = stream(server.url("/api/v1/deployments/9/log?follow=1"), {},
                       [&](std::string_view) { return called = true; });
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_EQ(result.response().status, 404);
  EXPECT_EQ(result.response().body,
            R"({"error":{"code":"unknown_operation","message":"no operation 9"}})");
  EXPECT_FALSE(called);
}

TEST_F(HttpClientStreaming, AnErrorHeaderFollowedBySilenceEndsAtTheIdleTimeout) {
  // A proxy's 502 whose body never comes: the stream's deadline is a month
  // away (as the CLI's followed log has it), the idle timeout is not.
  streaming_server server(io_, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 100\r\n\r\n",
                          {"upstream "}, true);
  request_options options;
  options.total_timeout = std::chrono::hours(24 * 30);
  options.idle_timeout = 300ms;
  bool called = false;
  auto result = stream(server.url(), options, [&](std::string_view) { return called = true; });
  ASSERT_FALSE(result.ok()) << describe(result);
  EXPECT_EQ(result.error().kind, error_kind::timeout) << describe(result);
  EXPECT_FALSE(called);
}

TEST_F(HttpClientStreaming, AServerThatIsNotThereIsAConnectError) {
  tcp::socket closed(io_, tcp::v4());
  closed.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto result = stream("http://127.0.0.1:" + std::to_string(closed.local_endpoint().port()) + "/",
                       {}, [](std::string_view) { return true; });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, error_kind::connect) << describe(result);
}

}  // namespace
}  // namespace bluegreen::net
