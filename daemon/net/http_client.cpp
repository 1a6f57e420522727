#include "daemon/net/http_client.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <variant>

#include "daemon/net/address_policy.hpp"
#include "daemon/net/redirect.hpp"
#include "daemon/net/tls_context_native.hpp"
#include "daemon/net/url.hpp"

namespace bluegreen::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool is_field_value(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::optional<http_error> check_request(const http_request& request) {
  if (!is_token(request.method))
    return http_error{error_kind::invalid_request, "the method is not an HTTP token"};
  for (const auto& h : request.headers) {
    if (!is_token(h.name))
      return http_error{error_kind::invalid_request, "a header name is not an HTTP token"};
    if (!is_field_value(h.value))
      return http_error{error_kind::invalid_request,
                        "the value of header " + h.name + " contains a line break or NUL"};
    if (header_name_is(h.name, "Content-Length") || header_name_is(h.name, "Transfer-Encoding"))
      return http_error{error_kind::invalid_request,
                        h.name + " is set by the client from the body; leave it out"};
  }
  return std::nullopt;
}

// The request's URL taken apart, or why it cannot be sent.
std::variant<url, http_error> target_of(const http_request& request) {
  auto target = parse_url(request.url);
  if (!target)
    return http_error{error_kind::invalid_request,
                      "not a URL this client can send to: " + url_problem(request.url)};
  if (auto invalid = check_request(request)) return *invalid;
  return *target;
}

using endpoints = std::vector<tcp::endpoint>;

// getaddrinfo cannot be interrupted, so the lookup runs on its own and the
// exchange stops waiting for it at the deadline.
struct lookup {
  explicit lookup(const asio::any_io_executor& executor)
      : resolver(executor), done_or_deadline(executor) {}
  tcp::resolver resolver;
  asio::steady_timer done_or_deadline;
  bool done = false;
  boost::system::error_code error;
  std::string thrown;  // what the lookup threw, if it did
  endpoints found;
};

asio::awaitable<void> run_lookup(std::shared_ptr<lookup> state, std::string host,
                                 std::string port) {
  auto [ec, results] = co_await state->resolver.async_resolve(host, port, use_tuple);
  state->error = ec;
  for (const auto& entry : results) state->found.push_back(entry.endpoint());
  state->done = true;
  state->done_or_deadline.cancel();
}

asio::ip::address to_asio(const ip_address& address) {
  if (!address.v6)
    return asio::ip::address_v4(asio::ip::address_v4::bytes_type{
        address.bytes[0], address.bytes[1], address.bytes[2], address.bytes[3]});
  return asio::ip::address_v6(address.bytes);
}

http_error refusal(const std::string& why) {
  return {error_kind::refused, "refused to send the request: " + why};
}

// With an outbound policy, every address the host spells or resolves to must
// pass it, or nothing is sent; the connection then goes only to those
// addresses. The host is read as the resolver would (any inet_aton form of
// IPv4), so no spelling of an address reaches the resolver unchecked.
std::optional<http_error> check_outbound(const url& target, const request_options& options,
                                         const endpoints& addresses) {
  for (const auto& endpoint : addresses) {
    auto address = endpoint.address();
    ip_address checked;
    if (address.is_v6()) {
      // Without the scope id: the policy judges the address itself.
      checked.v6 = true;
      checked.bytes = address.to_v6().to_bytes();
    } else {
      auto bytes = address.to_v4().to_bytes();
      std::copy(bytes.begin(), bytes.end(), checked.bytes.begin());
    }
    if (auto why = options.outbound->refuse(target.host, checked.text())) return refusal(*why);
  }
  return std::nullopt;
}

asio::awaitable<std::variant<endpoints, http_error>> addresses_of(const url& target,
                                                                  const request_options& options,
                                                                  steady::time_point deadline) {
  if (options.outbound) {
    if (auto literal = parse_ip_literal(target.host)) {
      if (auto why = options.outbound->refuse(target.host, literal->text()))
        co_return refusal(*why);
      co_return endpoints{tcp::endpoint(to_asio(*literal), target.port)};
    }
  }
  boost::system::error_code literal_ec;
  auto literal = asio::ip::make_address(target.host, literal_ec);
  if (!literal_ec) co_return endpoints{tcp::endpoint(literal, target.port)};

  auto executor = co_await asio::this_coro::executor;
  auto state = std::make_shared<lookup>(executor);
  state->done_or_deadline.expires_at(deadline);
  // Whatever the lookup throws ends it as a failed lookup, at once.
  asio::co_spawn(executor, run_lookup(state, target.host, std::to_string(target.port)),
                 [state](std::exception_ptr e) {
                   if (!e || state->done) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     state->thrown = ex.what();
                   } catch (...) {
                     state->thrown = "unknown error";
                   }
                   state->done = true;
                   state->done_or_deadline.cancel();
                 });
  co_await state->done_or_deadline.async_wait(use_tuple);
  if (!state->done) {
    state->resolver.cancel();
    co_return http_error{error_kind::timeout, "cannot resolve " + target.host + ": timed out"};
  }
  if (!state->thrown.empty())
    co_return http_error{error_kind::dns, "cannot resolve " + target.host + ": " + state->thrown};
  if (state->error || state->found.empty())
    co_return http_error{error_kind::dns,
                         "cannot resolve " + target.host + ": " +
                             (state->error ? state->error.message() : std::string("no address"))};
  if (options.outbound) {
    if (auto refused = check_outbound(target, options, state->found)) co_return *refused;
  }
  co_return std::move(state->found);
}

asio::awaitable<std::optional<http_error>> connect(beast::tcp_stream& stream, const url& target,
                                                   const request_options& options,
                                                   steady::time_point deadline) {
  auto addresses = co_await addresses_of(target, options, deadline);
  if (auto* failed = std::get_if<http_error>(&addresses)) co_return *failed;
  stream.expires_at(std::min(steady::now() + options.connect_timeout, deadline));
  auto [ec, endpoint] = co_await stream.async_connect(std::get<endpoints>(addresses), use_tuple);
  if (ec == beast::error::timeout)
    co_return http_error{error_kind::timeout,
                         "cannot connect to " + target.endpoint() + ": timed out"};
  if (ec)
    co_return http_error{error_kind::connect,
                         "cannot connect to " + target.endpoint() + ": " + ec.message()};
  stream.expires_at(deadline);
  co_return std::nullopt;
}

http::request<http::string_body> to_beast(const url& target, const http_request& request) {
  http::request<http::string_body> out;
  out.method_string(request.method);
  out.target(target.target);
  out.version(11);
  if (!find_header(request.headers, "Host")) out.set(http::field::host, target.authority());
  if (!find_header(request.headers, "User-Agent")) out.set(http::field::user_agent, "bluegreend");
  // One request per connection: nothing is pooled, so the server may close.
  if (!find_header(request.headers, "Connection")) out.set(http::field::connection, "close");
  for (const auto& h : request.headers) out.insert(h.name, h.value);
  out.body() = request.body;
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH")
    out.content_length(request.body.size());
  return out;
}

http_error read_failure(const boost::system::error_code& ec, const request_options& options) {
  if (ec == beast::error::timeout)
    return {error_kind::timeout, "no complete answer before the deadline"};
  if (ec == http::error::body_limit)
    return {error_kind::too_large, "reading the answer failed: the body is larger than " +
                                       std::to_string(options.max_body_bytes) + " bytes"};
  if (ec == http::error::header_limit)
    return {error_kind::too_large, "reading the answer failed: the header is larger than " +
                                       std::to_string(kMaxHeaderBytes) + " bytes"};
  bool http_category =
      &ec.category() == &http::make_error_code(http::error::bad_version).category();
  bool cut_short = ec == http::error::end_of_stream || ec == http::error::partial_message;
  return {http_category && !cut_short ? error_kind::protocol : error_kind::io,
          "reading the answer failed: " + ec.message()};
}

http_response head_of(const http::response_header<>& message, const url& target) {
  http_response response;
  response.status = static_cast<int>(message.result_int());
  response.reason = std::string(message.reason());
  for (const auto& field : message)
    response.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  response.url = target.text();
  return response;
}

// The body of a streamed 2xx answer, piece by piece as it arrives. Each
// wait has the idle timeout (when set), never beyond the deadline.
template <typename Stream>
asio::awaitable<http_result> stream_body(Stream& stream, beast::flat_buffer& buffer,
                                         http::response_parser<http::buffer_body>& parser,
                                         const http_response& head, const request_options& options,
                                         steady::time_point deadline,
                                         const http_client::body_sink& sink) {
  auto& lowest = beast::get_lowest_layer(stream);
  char piece[8192];
  while (!parser.is_done()) {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof piece;
    auto until = deadline;
    if (options.idle_timeout.count() > 0)
      until = std::min(deadline, steady::now() + options.idle_timeout);
    lowest.expires_at(until);
    auto [ec, read] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == beast::error::timeout && until < deadline)
      co_return http_error{error_kind::timeout,
                           "reading the answer failed: nothing came for " +
                               std::to_string(options.idle_timeout.count() / 1000) + " s"};
    if (ec) co_return read_failure(ec, options);
    auto got = sizeof piece - parser.get().body().size;
    if (got > 0 && !sink(std::string_view(piece, got))) break;
  }
  co_return head;
}

template <typename Stream>
asio::awaitable<http_result> exchange(Stream& stream, const url& target,
                                      const http_request& request, const request_options& options,
                                      steady::time_point deadline,
                                      const http_client::body_sink* sink) {
  auto outgoing = to_beast(target, request);
  auto [write_ec, written] = co_await http::async_write(stream, outgoing, use_tuple);
  if (write_ec == beast::error::timeout)
    co_return http_error{error_kind::timeout, "sending the request failed: timed out"};
  if (write_ec)
    co_return http_error{error_kind::io, "sending the request failed: " + write_ec.message()};

  beast::flat_buffer buffer;
  if (sink && request.method != "HEAD") {
    http::response_parser<http::buffer_body> streaming;
    streaming.header_limit(kMaxHeaderBytes);
    streaming.body_limit(boost::none);
    if (options.idle_timeout.count() > 0)
      beast::get_lowest_layer(stream).expires_at(
          std::min(deadline, steady::now() + options.idle_timeout));
    auto [head_ec, head] = co_await http::async_read_header(stream, buffer, streaming, use_tuple);
    if (head_ec) co_return read_failure(head_ec, options);
    auto response = head_of(streaming.get().base(), target);
    if (response.status >= 200 && response.status < 300)
      co_return co_await stream_body(stream, buffer, streaming, response, options, deadline, *sink);
    // Not the stream asked for: the body is read whole, as send() would.
    // A stream's deadline may be days away: a proxy that sends an error's
    // header and then nothing must not hold the caller that long, so the
    // error's body gets one idle timeout (else the connect timeout).
    http::response_parser<http::string_body> whole(std::move(streaming));
    whole.body_limit(options.max_body_bytes);
    auto error_body_wait =
        options.idle_timeout.count() > 0 ? options.idle_timeout : options.connect_timeout;
    beast::get_lowest_layer(stream).expires_at(
        error_body_wait.count() > 0 ? std::min(deadline, steady::now() + error_body_wait)
                                    : deadline);
    auto [body_ec, body] = co_await http::async_read(stream, buffer, whole, use_tuple);
    if (body_ec) co_return read_failure(body_ec, options);
    response.body = std::move(whole.get().body());
    co_return response;
  }

  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(options.max_body_bytes);
  if (request.method == "HEAD") parser.skip(true);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
  if (read_ec) co_return read_failure(read_ec, options);

  auto& message = parser.get();
  auto response = head_of(message.base(), target);
  response.body = std::move(message.body());
  co_return response;
}

asio::awaitable<http_result> exchange_once(tls_context& tls, const url& target,
                                           const http_request& request,
                                           const request_options& options,
                                           steady::time_point deadline,
                                           const http_client::body_sink* sink) {
  auto executor = co_await asio::this_coro::executor;
  if (!target.tls()) {
    beast::tcp_stream stream(executor);
    auto failed = co_await connect(stream, target, options, deadline);
    if (failed) co_return *failed;
    co_return co_await exchange(stream, target, request, options, deadline, sink);
  }

  beast::ssl_stream<beast::tcp_stream> secure(executor, tls.get().context);
  std::string error;
  boost::system::error_code literal_ec;
  asio::ip::make_address(target.host, literal_ec);
  if (!prepare_connection(tls, secure.native_handle(), target.host, !literal_ec, options.ca_file,
                          error))
    co_return http_error{error_kind::tls, error};
  auto& lowest = beast::get_lowest_layer(secure);
  auto failed = co_await connect(lowest, target, options, deadline);
  if (failed) co_return *failed;
  auto [handshake_ec] = co_await secure.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (handshake_ec == beast::error::timeout)
    co_return http_error{error_kind::timeout,
                         "TLS handshake with " + target.host + " failed: timed out"};
  if (handshake_ec) {
    auto why = verify_failure(secure.native_handle());
    co_return http_error{
        error_kind::tls,
        "TLS handshake with " + target.host + " failed: " +
            (why.empty() ? handshake_ec.message() : "certificate verification failed: " + why)};
  }
  // No TLS close_notify: the answer is complete and the connection is not
  // reused, so waiting for the peer's reply would only add a round trip.
  co_return co_await exchange(secure, target, request, options, deadline, sink);
}

}  // namespace

http_client::http_client() : tls_(tls_context::shared()) {}

http_client::http_client(std::shared_ptr<tls_context> tls) : tls_(std::move(tls)) {}

asio::awaitable<http_result> http_client::send(http_request request,
                                               request_options options) const {
  auto deadline = steady::now() + options.total_timeout;
  auto checked = target_of(request);
  if (auto* invalid = std::get_if<http_error>(&checked)) co_return *invalid;
  auto target = std::optional<url>(std::get<url>(std::move(checked)));
  for (unsigned followed = 0;; ++followed) {
    auto result = co_await exchange_once(*tls_, *target, request, options, deadline, nullptr);
    // A redirect could lead anywhere the policy refuses, so with one the
    // 3xx itself is the answer.
    if (!result.ok() || options.max_redirects == 0 || options.outbound ||
        !is_redirect(result.response().status))
      co_return result;
    auto location = result.response().header("Location");
    if (!location) co_return result;
    if (followed == options.max_redirects)
      co_return http_error{error_kind::redirects,
                           "more than " + std::to_string(options.max_redirects) +
                               " redirect(s); the last one came from " + target->origin()};
    auto next = resolve_reference(*target, *location);
    if (!next)
      co_return http_error{
          error_kind::protocol,
          target->origin() + " redirects to a location that is not an http:// or https:// URL"};
    request = redirected_request(request, *target, *next, result.response().status);
    target = next;
  }
}

asio::awaitable<http_result> http_client::send_streaming(http_request request,
                                                         request_options options,
                                                         body_sink sink) const {
  auto deadline = steady::now() + options.total_timeout;
  auto checked = target_of(request);
  if (auto* invalid = std::get_if<http_error>(&checked)) co_return *invalid;
  auto target = std::get<url>(std::move(checked));
  co_return co_await exchange_once(*tls_, target, request, options, deadline, &sink);
}

}  // namespace bluegreen::net
