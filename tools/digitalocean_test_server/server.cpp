#include "tools/digitalocean_test_server/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <list>
#include <memory>

namespace bluegreen::digitalocean_test_server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The forwarded connections, so the ones to a droplet that lost the IP can
// be cut as the network would.
struct forwarded {
  tcp::socket client;
  tcp::socket upstream;
  std::int64_t droplet_id;
  forwarded(tcp::socket c, tcp::socket u, std::int64_t d)
      : client(std::move(c)), upstream(std::move(u)), droplet_id(d) {}
  void close() {
    beast::error_code ec;
    client.close(ec);
    upstream.close(ec);
  }
};

}  // namespace

struct server::impl {
  impl(asio::io_context& io, options o)
      : io_(io),
        tls_(asio::ssl::context::tls_server),
        account_(read_token(o.token_file), o.reserved_ip, o.droplets, o.assigned, o.action_time,
                 o.region),
        api_(io, endpoint_of(o.listen)),
        control_(io, endpoint_of(o.control)),
        forward_(io, endpoint_of(o.forward)),
        options_(std::move(o)) {
    tls_.use_certificate_chain_file(options_.certificate);
    tls_.use_private_key_file(options_.key, asio::ssl::context::pem);
  }

  void start() {
    asio::co_spawn(io_, accept(api_, &impl::api_session), asio::detached);
    asio::co_spawn(io_, accept(control_, &impl::control_session), asio::detached);
    asio::co_spawn(io_, accept(forward_, &impl::forward_session), asio::detached);
    auto api = api_.local_endpoint();
    auto control = control_.local_endpoint();
    auto forward = forward_.local_endpoint();
    std::cout << "digitalocean-test-server: api https://" << api.address().to_string() << ":"
              << api.port() << " control http://" << control.address().to_string() << ":"
              << control.port() << " reserved_ip " << options_.reserved_ip << " forward "
              << forward.address().to_string() << ":" << forward.port() << std::endl;
  }

  // Actions just started get their timer; when it fires they complete.
  void schedule_started() {
    for (auto [id, after] : account_.take_started()) {
      if (!after) continue;  // stuck: in progress until released
      auto timer = std::make_shared<asio::steady_timer>(io_, *after);
      timer->async_wait([this, timer, id = id](const beast::error_code&) {
        account_.finish(id, std::chrono::system_clock::now());
        cut_stale_connections();
      });
    }
  }

  void cut_stale_connections() {
    if (account_.generation() == seen_generation_) return;
    seen_generation_ = account_.generation();
    auto holder = account_.holder();
    if (!options_.state_file.empty()) {
      std::ofstream out(options_.state_file + ".new");
      out << (holder ? std::to_string(holder->id) : "none") << "\n";
      out.close();
      std::rename((options_.state_file + ".new").c_str(), options_.state_file.c_str());
    }
    for (auto it = connections_.begin(); it != connections_.end();) {
      auto c = it->lock();
      if (!c) {
        it = connections_.erase(it);
        continue;
      }
      if (!holder || holder->id != c->droplet_id) c->close();
      ++it;
    }
  }

  // Accepts for ever; each connection is served on its own by `session`.
  asio::awaitable<void> accept(tcp::acceptor& acceptor,
                               asio::awaitable<void> (impl::*session)(tcp::socket)) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) continue;
      asio::co_spawn(io_, (this->*session)(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> api_session(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls_);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (hec) co_return;
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
      auto [rec, n] = co_await http::async_read(stream, buffer, req, use_tuple);
      if (rec) co_return;
      std::string auth(req[http::field::authorization]);
      auto reply = account_.handle(std::string(req.method_string()), std::string(req.target()),
                                   auth, req.body(), std::chrono::system_clock::now());
      schedule_started();
      cut_stale_connections();
      http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
      for (const auto& [name, value] : reply.headers) res.set(name, value);
      res.body() = reply.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, w] = co_await http::async_write(stream, res, use_tuple);
      if (wec || !res.keep_alive()) break;
    }
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(use_tuple);
  }

  http::response<http::string_body> control_answer(const http::request<http::string_body>& req) {
    std::string target(req.target());
    auto reply = [&](int status, json body) {
      http::response<http::string_body> res{static_cast<http::status>(status), req.version()};
      res.set(http::field::content_type, "application/json");
      res.body() = body.dump();
      res.keep_alive(false);
      res.prepare_payload();
      return res;
    };
    json body = req.body().empty() ? json::object() : json::parse(req.body(), nullptr, false);
    if (body.is_discarded()) return reply(400, {{"error", "the body is not JSON"}});
    auto now = std::chrono::system_clock::now();
    if (req.method() == http::verb::get && target == "/state") return reply(200, account_.state());
    if (req.method() != http::verb::post) return reply(404, {{"error", "no such control"}});
    if (target == "/faults") {
      if (auto why = account_.add_fault(body)) return reply(400, {{"error", *why}});
    } else if (target == "/assign") {
      std::optional<std::int64_t> id;
      if (body.contains("droplet_id") && body["droplet_id"].is_number_integer())
        id = body["droplet_id"].get<std::int64_t>();
      account_.assign_by_hand(id);
      cut_stale_connections();
    } else if (target == "/settings") {
      if (body.contains("action_time_ms"))
        account_.set_action_time(std::chrono::milliseconds(body["action_time_ms"].get<long>()));
    } else if (target == "/release") {
      account_.release_stuck(now);
      cut_stale_connections();
    } else if (target == "/clear-log") {
      account_.clear_log();
    } else {
      return reply(404, {{"error", "no such control"}});
    }
    return reply(200, account_.state());
  }

  asio::awaitable<void> control_session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(30));
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [rec, n] = co_await http::async_read(stream, buffer, req, use_tuple);
    if (rec) co_return;
    auto res = control_answer(req);
    co_await http::async_write(stream, res, use_tuple);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // An unassigned reserved IP answers nothing: the connection is closed.
  asio::awaitable<void> forward_session(tcp::socket client) {
    auto holder = account_.holder();
    if (!holder) co_return;
    tcp::socket upstream(io_);
    auto [cec] = co_await upstream.async_connect(endpoint_of(holder->address), use_tuple);
    if (cec) co_return;
    auto c = std::make_shared<forwarded>(std::move(client), std::move(upstream), holder->id);
    connections_.push_back(c);
    // The IP may have moved while connecting.
    if (auto now = account_.holder(); !now || now->id != holder->id) co_return;
    asio::co_spawn(io_, pipe(c, c->client, c->upstream), asio::detached);
    co_await pipe(c, c->upstream, c->client);
  }

  static asio::awaitable<void> pipe(std::shared_ptr<forwarded> keep, tcp::socket& from,
                                    tcp::socket& to) {
    std::array<char, 16384> buf;
    for (;;) {
      auto [rec, n] = co_await from.async_read_some(asio::buffer(buf), use_tuple);
      if (rec) break;
      auto [wec, w] = co_await asio::async_write(to, asio::buffer(buf.data(), n), use_tuple);
      if (wec) break;
    }
    beast::error_code ec;
    to.shutdown(tcp::socket::shutdown_send, ec);
    (void)keep;
  }

  asio::io_context& io_;
  asio::ssl::context tls_;
  account account_;
  tcp::acceptor api_;
  tcp::acceptor control_;
  tcp::acceptor forward_;
  options options_;
  std::list<std::weak_ptr<forwarded>> connections_;
  std::uint64_t seen_generation_ = 0;
};

server::server(asio::io_context& io, options o) : impl_(std::make_unique<impl>(io, std::move(o))) {}
server::~server() = default;
void server::start() { impl_->start(); }

}  // namespace bluegreen::digitalocean_test_server
