#include "daemon/checks/http_probe.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace bluegreen::checks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxBody = 1024 * 1024;

struct parsed_url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

std::optional<parsed_url> parse(const std::string& url) {
  parsed_url out;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
    out.port = "80";
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
    out.tls = true;
    out.port = "443";
  } else {
    return std::nullopt;
  }
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      out.port = authority.substr(close + 2);
  } else {
    auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) out.port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  return out;
}

template <typename Stream>
asio::awaitable<probe_result> exchange(Stream& stream, const parsed_url& url,
                                       beast::tcp_stream& deadline_owner) {
  probe_result result;
  http::request<http::empty_body> req{http::verb::get, url.target, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "bluegreend-probe");
  req.set(http::field::connection, "close");
  req.set(http::field::cache_control, "no-cache");
  auto [write_ec, written] = co_await http::async_write(stream, req, use_tuple);
  if (write_ec) {
    result.error = "sending the request failed: " + write_ec.message();
    co_return result;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
  (void)deadline_owner;
  if (read_ec) {
    result.error = read_ec == beast::error::timeout
                       ? "no complete answer before the deadline"
                       : "reading the answer failed: " + read_ec.message();
    co_return result;
  }
  result.answered = true;
  result.status = static_cast<int>(parser.get().result_int());
  result.body = parser.get().body();
  co_return result;
}

}  // namespace

bool answers_identity(const std::string& body, const std::string& identity) {
  auto first = body.find_first_not_of(" \t\r\n");
  auto last = body.find_last_not_of(" \t\r\n");
  if (first == std::string::npos) return identity.empty();
  return !identity.empty() && body.compare(first, last - first + 1, identity) == 0;
}

asio::awaitable<probe_result> http_get(std::string url, std::chrono::milliseconds timeout) {
  auto started = std::chrono::steady_clock::now();
  auto finish = [&](probe_result r) {
    r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return r;
  };
  auto parsed = parse(url);
  if (!parsed) {
    probe_result r;
    r.error = "not an http:// or https:// URL: " + url;
    co_return finish(r);
  }
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(parsed->host, parsed->port, use_tuple);
  if (resolve_ec) {
    probe_result r;
    r.error = "cannot resolve " + parsed->host + ": " + resolve_ec.message();
    co_return finish(r);
  }
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
  if (connect_ec) {
    probe_result r;
    r.error = "cannot connect to " + parsed->host + ":" + parsed->port + ": " +
              (connect_ec == beast::error::timeout ? "timed out" : connect_ec.message());
    co_return finish(r);
  }
  if (!parsed->tls) co_return finish(co_await exchange(stream, *parsed, stream));

  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_default_verify_paths();
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), tls);
  SSL_set_tlsext_host_name(secure.native_handle(), parsed->host.c_str());
  secure.set_verify_callback(asio::ssl::host_name_verification(parsed->host));
  auto [handshake_ec] = co_await secure.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (handshake_ec) {
    probe_result r;
    r.error = "TLS handshake with " + parsed->host + " failed: " + handshake_ec.message();
    co_return finish(r);
  }
  co_return finish(co_await exchange(secure, *parsed, beast::get_lowest_layer(secure)));
}

namespace {

struct fetches {
  explicit fetches(asio::any_io_executor executor, int count)
      : done(std::move(executor), std::chrono::steady_clock::time_point::max()), left(count) {}
  asio::steady_timer done;  // cancelled when the last fetch ends
  int left;
  std::vector<probe_result> results;
};

asio::awaitable<void> fetch_into(std::shared_ptr<fetches> all, std::string url,
                                 std::chrono::milliseconds timeout) {
  auto r = co_await http_get(url, timeout);
  all->results.push_back(std::move(r));
  if (--all->left == 0) all->done.cancel();
}

}  // namespace

asio::awaitable<std::vector<probe_result>> http_get_all(std::string url, int count,
                                                        std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  auto all = std::make_shared<fetches>(executor, count);
  for (int i = 0; i < count; ++i)
    asio::co_spawn(executor, fetch_into(all, url, timeout), asio::detached);
  if (all->left > 0) co_await all->done.async_wait(use_tuple);
  co_return std::move(all->results);
}

}  // namespace bluegreen::checks
