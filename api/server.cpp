#include "api/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <list>

#include "api/embedded_file.hpp"
#include "api/error_response.hpp"
#include "api/security_headers.hpp"
#include "daemon/one_line_text.hpp"

namespace bluegreen::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Errors come back as values: every co_await in this file uses this token.
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct connection {
  connection(tcp::socket socket, std::size_t& open) : stream(std::move(socket)), open_(open) {}
  ~connection() { release_slot(); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Stops counting toward server.max_connections: when the session ends, or
  // earlier when the client of a streamed response has gone. Counted up by
  // accept_loop before the session starts, so that a burst of accepts cannot
  // overshoot the cap.
  void release_slot() {
    if (!released_) --open_;
    released_ = true;
  }

  beast::tcp_stream stream;
  bool busy = false;  // a request is being answered

 private:
  std::size_t& open_;  // the server's count; the server outlives its connections
  bool released_ = false;
};

bool is_disconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::operation_aborted || ec == beast::error::timeout ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::bad_descriptor;
}

// The header every response carries, then the handler's own headers (which
// may replace Cache-Control), then the security headers, which no handler
// can weaken.
template <class Body>
void set_header(http::response<Body>& out, const response& r, bool keep_alive) {
  out.set(http::field::server, "bluegreend");
  if (!r.content_type.empty()) out.set(http::field::content_type, r.content_type);
  out.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : r.headers) out.set(name, value);
  for (const auto& [name, value] : kSecurityHeaders) out.set(name, value);
  out.keep_alive(keep_alive);
}

// A warning that may repeat thousands of times a second (every refused
// connection, every failed accept): logged at once, then at most once per
// interval with the number of repeats in between, so the log stays small.
class throttled_warning {
 public:
  // `text` is made only when it is logged.
  template <typename Make>
  void log(Make&& text_of) {
    auto now = std::chrono::steady_clock::now();
    if (logged_ && now - last_ < kInterval) {
      ++repeats_;
      return;
    }
    std::string text = text_of();
    if (repeats_ > 0)
      spdlog::warn("{} ({} more times in the last {} s)", text, repeats_,
                   std::chrono::duration_cast<std::chrono::seconds>(now - last_).count());
    else
      spdlog::warn("{}", text);
    logged_ = true;
    last_ = now;
    repeats_ = 0;
  }

 private:
  static constexpr std::chrono::seconds kInterval{10};
  bool logged_ = false;
  std::chrono::steady_clock::time_point last_;
  std::size_t repeats_ = 0;
};

// Descriptors left for the rest of the daemon (state database, SSH sessions,
// pipes of local commands) when the connection cap has to fit the limit.
constexpr std::size_t kReservedDescriptors = 128;

// The connection cap that fits the process's descriptor limit.
std::size_t fitted_connection_cap(std::size_t wanted, std::size_t elsewhere) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  auto available = static_cast<std::size_t>(limit.rlim_cur);
  available -= std::min(available / 2, elsewhere);
  std::size_t fits =
      available > 2 * kReservedDescriptors ? available - kReservedDescriptors : available / 2;
  if (wanted <= fits) return wanted;
  std::size_t cap = std::max<std::size_t>(fits, 1);
  spdlog::warn(
      "serving at most {} connections at once instead of server.max_connections = {}: the "
      "process may open only {} files (raise LimitNOFILE / ulimit -n, or lower "
      "server.max_connections)",
      cap, wanted, available);
  return cap;
}

// Why a request's header cannot be answered safely, or "" when it can. A body
// framed any other way than by one Content-Length or by exactly "chunked"
// could be read differently by a proxy in front of the daemon, and the rest
// would be taken as the next request (request smuggling).
std::string ambiguity_of(const http::request_parser<http::string_body>& parser) {
  const auto& msg = parser.get();
  auto hosts = msg.count(http::field::host);
  if (hosts > 1) return "more than one Host header; send exactly one";
  if (hosts == 0 && msg.version() >= 11) return "an HTTP/1.1 request needs a Host header";
  auto encodings = msg.count(http::field::transfer_encoding);
  if (encodings == 0) return "";
  if (encodings > 1) return "more than one Transfer-Encoding header; send at most one";
  if (msg.count(http::field::content_length) > 0)
    return "both Transfer-Encoding and Content-Length; send one of them";
  if (msg.version() < 11) return "Transfer-Encoding needs HTTP/1.1";
  std::string_view value = msg[http::field::transfer_encoding];
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (!beast::iequals(value, "chunked"))
    return "Transfer-Encoding \"" + std::string(value.substr(0, 64)) +
           "\" is not supported; send the body with Content-Length or "
           "Transfer-Encoding: chunked";
  return "";
}

// The request as the router sees it, still without its body.
request head_of(const http::request<http::string_body>& msg, const std::string& remote) {
  request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Repeats are joined as HTTP defines (RFC 9110, 5.3), so a handler
    // sees that there were several instead of only the last one.
    auto [it, first] = req.headers.try_emplace(name, field.value());
    if (!first) it->second += ", " + std::string(field.value());
  }
  req.remote = remote;
  return req;
}

response body_too_large(std::size_t limit) {
  return error_response(413, "body_too_large",
                        "the request body is larger than " + std::to_string(limit) + " bytes");
}

}  // namespace

struct server::impl : std::enable_shared_from_this<impl> {
  impl(asio::io_context& io, server_options opts, handler h)
      : io(io), options(std::move(opts)), handle(std::move(h)), acceptor(io) {}

  asio::awaitable<void> accept_loop();
  void refuse_over_cap(tcp::socket& socket);
  asio::awaitable<void> session(std::shared_ptr<connection> conn);
  asio::awaitable<bool> write(connection& conn, const response& r, unsigned version,
                              bool keep_alive, bool head_only = false);
  asio::awaitable<void> linger_close(connection& conn);
  // `conn` by reference: GCC 12 destroys some copies made in a co_await
  // expression twice.
  asio::awaitable<void> stream_response(const std::shared_ptr<connection>& conn, response& r,
                                        unsigned version, bool head_only);
  // Reads (and drops) what the client of a stream sends until it closes or
  // resets the connection; then frees its slot and shuts the socket, so the
  // stream ends at its next write.
  static asio::awaitable<void> watch_stream_client(std::shared_ptr<impl> self,
                                                   std::shared_ptr<connection> conn);

  asio::io_context& io;
  server_options options;
  handler handle;
  tcp::acceptor acceptor;
  bool stopping = false;
  std::list<std::weak_ptr<connection>> connections;
  std::size_t max_connections = 0;  // the cap in force, set by start()
  std::size_t open_connections = 0;
  throttled_warning accept_warning;
  throttled_warning cap_warning;
};

constexpr std::chrono::milliseconds kAcceptPause{50};

// Answers 503 without waiting (what fits in the socket buffer now) and
// closes: a full server spends nothing on a connection it cannot serve.
void server::impl::refuse_over_cap(tcp::socket& socket) {
  cap_warning.log([&] {
    return "refused a connection: " + std::to_string(open_connections) +
           " connections are open (server.max_connections)";
  });
  static const std::string kBusy = [] {
    auto body = error_response(503, "too_many_connections",
                               "the daemon is serving its maximum number of connections "
                               "(server.max_connections); retry later")
                    .body;
    std::string head =
        "HTTP/1.1 503 Service Unavailable\r\nServer: bluegreend\r\nContent-Type: "
        "application/json\r\nConnection: close\r\n";
    for (const auto& [name, value] : kSecurityHeaders)
      head += std::string(name) + ": " + std::string(value) + "\r\n";
    return head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(kBusy), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

asio::awaitable<void> server::impl::accept_loop() {
  auto self = shared_from_this();
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) break;
      if (ec == asio::error::connection_aborted) continue;  // the client gave up
      // Out of descriptors (EMFILE, ENFILE) or memory: the pending
      // connection stays queued and the socket stays readable, so retrying
      // at once would spin. Pause; existing connections are still served.
      accept_warning.log([&] {
        return "accept failed: " + ec.message() + "; pausing new connections for " +
               std::to_string(kAcceptPause.count()) + " ms";
      });
      asio::steady_timer pause(io, kAcceptPause);
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (open_connections >= max_connections) {
      refuse_over_cap(socket);
      continue;
    }
    auto conn = std::make_shared<connection>(std::move(socket), open_connections);
    connections.remove_if([](const auto& w) { return w.expired(); });
    connections.push_back(conn);
    ++open_connections;
    asio::co_spawn(io, session(conn), asio::detached);
  }
}

namespace {

// Sends a message, or for HEAD its header alone: GET's header,
// Content-Length included, and no body. A 304 or 204 has no body and says
// no length.
template <class Body>
asio::awaitable<beast::error_code> send(beast::tcp_stream& stream, http::response<Body>& message,
                                        bool head_only) {
  if (head_only) {
    http::response<http::empty_body> head{std::move(message.base())};
    auto [ec, n] = co_await http::async_write(stream, head, use_tuple);
    co_return ec;
  }
  auto [ec, n] = co_await http::async_write(stream, message, use_tuple);
  co_return ec;
}

template <class Body>
void prepare_length(http::response<Body>& message) {
  auto status = message.result();
  if (status != http::status::not_modified && status != http::status::no_content)
    message.prepare_payload();
}

}  // namespace

asio::awaitable<bool> server::impl::write(connection& conn, const response& r, unsigned version,
                                          bool keep_alive, bool head_only) {
  conn.stream.expires_after(options.write_timeout);
  beast::error_code ec;
  auto status = static_cast<http::status>(r.status);
  if (r.file) {
    // Straight from the binary's data, not copied.
    http::response<http::span_body<const char>> message{status, version};
    set_header(message, r, keep_alive);
    message.body() = {r.file->bytes.data(), r.file->bytes.size()};
    prepare_length(message);
    ec = co_await send(conn.stream, message, head_only);
  } else {
    http::response<http::string_body> message{status, version};
    set_header(message, r, keep_alive);
    message.body() = r.body;
    prepare_length(message);
    ec = co_await send(conn.stream, message, head_only);
  }
  if (ec && !is_disconnect(ec)) spdlog::debug("write failed: {}", ec.message());
  co_return !ec;
}

namespace {

// Writes a streamed body straight to the socket, each piece with its own
// write deadline.
class socket_writer final : public stream_writer {
 public:
  socket_writer(beast::tcp_stream& stream, std::chrono::milliseconds timeout, const bool& stopping)
      : stream_(stream), timeout_(timeout), stopping_(stopping) {}
  asio::awaitable<bool> write(std::string data) override {
    if (stopping_) co_return false;
    stream_.expires_after(timeout_);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(data), use_tuple);
    co_return !ec;
  }

 private:
  beast::tcp_stream& stream_;
  std::chrono::milliseconds timeout_;
  const bool& stopping_;
};

}  // namespace

// A streamed response (Server-Sent Events): the header without a length,
// then the body as the handler makes it; the connection closes after it.
asio::awaitable<void> server::impl::stream_response(const std::shared_ptr<connection>& conn,
                                                    response& r, unsigned version,
                                                    bool head_only) {
  http::response<http::empty_body> head{static_cast<http::status>(r.status), version};
  set_header(head, r, false);
  http::response_serializer<http::empty_body> serializer{head};
  conn->stream.expires_after(options.write_timeout);
  auto [ec, n] = co_await http::async_write_header(conn->stream, serializer, use_tuple);
  if (ec || head_only) co_return;
  // A stream may write nothing for a while (until the next event or
  // heartbeat): a client that has gone must not hold its slot until then.
  asio::co_spawn(conn->stream.get_executor(), watch_stream_client(shared_from_this(), conn),
                 [](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     spdlog::error("watching a stream's client failed: {}", ex.what());
                   }
                 });
  socket_writer writer(conn->stream, options.write_timeout, stopping);
  co_await r.stream(writer);
}

asio::awaitable<void> server::impl::watch_stream_client(std::shared_ptr<impl> self,
                                                        std::shared_ptr<connection> conn) {
  (void)self;  // keeps the count the connection's slot refers to alive
  std::array<char, 512> scratch;
  for (;;) {
    auto [ec, n] = co_await conn->stream.socket().async_read_some(asio::buffer(scratch), use_tuple);
    if (ec) break;
  }
  conn->release_slot();
  beast::error_code ignored;
  conn->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

// After refusing a request whose body was not read, closing at once would
// make the kernel reset the connection and the client could lose the
// answer; so stop sending, then read and discard for a little while.
asio::awaitable<void> server::impl::linger_close(connection& conn) {
  beast::error_code ignored;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 16 * 1024> scratch;
  std::size_t drained = 0;
  conn.stream.expires_after(std::chrono::seconds(2));
  while (drained < 8 * 1024 * 1024) {
    auto [ec, n] = co_await conn.stream.async_read_some(asio::buffer(scratch), use_tuple);
    if (ec) break;
    drained += n;
  }
  conn.stream.close();
}

asio::awaitable<void> server::impl::session(std::shared_ptr<connection> conn) {
  auto self = shared_from_this();
  // Counted up by accept_loop before this starts, so that a burst of accepts
  // cannot overshoot the cap.
  beast::flat_buffer buffer;
  beast::error_code endpoint_ec;
  auto peer = conn->stream.socket().remote_endpoint(endpoint_ec);
  std::string remote = endpoint_ec ? "?" : peer.address().to_string() + ":" +
                                               std::to_string(peer.port());
  bool linger = false;
  while (!stopping) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    // The body limit depends on the route, known once the header is read;
    // a Content-Length is checked against it then, before any body is read.
    parser.body_limit(boost::none);
    conn->busy = false;
    // One deadline for the whole request: header and body together.
    auto read_deadline = std::chrono::steady_clock::now() + options.read_timeout;
    conn->stream.expires_at(read_deadline);
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(conn->stream, buffer, parser, use_tuple);
    conn->busy = true;
    unsigned version = 11;
    std::optional<response> refusal;
    request req;
    if (header_ec) {
      if (is_disconnect(header_ec) || stopping) break;
      if (header_ec == http::error::header_limit) {
        refusal = error_response(431, "header_too_large",
                                 "the request header is larger than " +
                                     std::to_string(options.max_header_bytes) + " bytes");
      } else {
        refusal = error_response(400, "bad_request",
                                 "malformed HTTP request: " + header_ec.message());
      }
    } else {
      version = parser.get().version();
      req = head_of(parser.get(), remote);
      std::size_t body_limit = options.max_body_bytes;
      if (options.body_limit_of) body_limit = options.body_limit_of(req).value_or(body_limit);
      auto length = parser.content_length();
      if (auto ambiguity = ambiguity_of(parser); !ambiguity.empty()) {
        refusal = error_response(400, "bad_request", "malformed HTTP request: " + ambiguity);
      } else if (length && *length > body_limit) {
        refusal = body_too_large(body_limit);
      } else {
        parser.body_limit(body_limit);
        if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> go_on{http::status::continue_, version};
          conn->stream.expires_after(options.write_timeout);
          auto [ec, n] = co_await http::async_write(conn->stream, go_on, use_tuple);
          if (ec) break;
        }
        conn->stream.expires_at(read_deadline);
        auto [body_ec, body_bytes] =
            co_await http::async_read(conn->stream, buffer, parser, use_tuple);
        if (body_ec) {
          if (body_ec == http::error::body_limit) {
            refusal = body_too_large(body_limit);
          } else if (is_disconnect(body_ec) || stopping) {
            break;
          } else {
            refusal = error_response(400, "bad_request",
                                     "malformed HTTP request body: " + body_ec.message());
          }
        }
      }
    }
    if (refusal) {
      spdlog::info("{} refused with {}: {}", remote, refusal->status,
                   std::string_view(refusal->body).substr(0, refusal->body.find_last_not_of('\n') + 1));
      co_await write(*conn, *refusal, version, false);
      linger = true;
      break;
    }

    auto started = std::chrono::steady_clock::now();
    auto& msg = parser.get();
    req.body = std::move(msg.body());
    response res;
    std::string crash;
    try {
      res = co_await handle(req);
    } catch (const std::exception& e) {
      crash = e.what();
    }
    if (!crash.empty()) {
      res = error_response(500, "internal", "the daemon failed to handle the request; see its log");
      res.log_note = crash;
    }
    if (res.stream) {
      spdlog::info("{} {} {} -> {} (streaming)", remote, req.method,
                   daemon::escape_one_line(req.target), res.status);
      bool head_only = req.method == "HEAD";
      co_await stream_response(conn, res, version, head_only);
      break;
    }
    auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                             started);
    // The target is the client's: bytes that spell a line break (U+2028,
    // NEL) must not start a line of the log.
    std::string target = daemon::escape_one_line(req.target);
    if (!res.log_note.empty())
      spdlog::error("{} {} {} -> {}: {}", remote, req.method, target, res.status, res.log_note);
    else
      spdlog::info("{} {} {} -> {} ({:.1f} ms)", remote, req.method, target, res.status,
                   elapsed.count());
    bool keep_alive = msg.keep_alive() && !stopping;
    bool head_only = req.method == "HEAD";
    if (!co_await write(*conn, res, version, keep_alive, head_only)) break;
    if (!keep_alive) break;
  }
  if (linger) {
    co_await linger_close(*conn);
  } else {
    beast::error_code ignored;
    conn->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    conn->stream.close();
  }
  conn->release_slot();  // a stream's client watcher may hold `conn` a little longer
}

server::server(asio::io_context& io, server_options options, handler h)
    : impl_(std::make_shared<impl>(io, std::move(options), std::move(h))) {}

server::~server() { stop(); }

daemon::result<void> server::start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) {
    return daemon::failure{
        daemon::failure::kind::invalid, "invalid_listen_address",
        "invalid listen address \"" + impl_->options.host + "\": " + ec.message()};
  }
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    daemon::failure refused{daemon::failure::kind::unavailable, "cannot_listen",
                            "cannot listen on " + impl_->options.host + ":" +
                                std::to_string(impl_->options.port) + ": " + ec.message()};
    acceptor.close(ec);
    return refused;
  }
  impl_->max_connections = fitted_connection_cap(impl_->options.max_connections,
                                                      impl_->options.descriptors_elsewhere);
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  return {};
}

std::uint16_t server::port() const {
  beast::error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void server::stop() {
  if (impl_->stopping) return;
  impl_->stopping = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  for (auto& weak : impl_->connections) {
    if (auto conn = weak.lock(); conn && !conn->busy) conn->stream.socket().cancel(ec);
  }
}

}  // namespace bluegreen::api
