// digitalocean-test-server: the DigitalOcean reserved-IP API on loopback,
// for bluegreend's tests, bench and demo. Three listeners on one thread:
//   - the API over HTTPS (a certificate the caller provides and trusts);
//   - the "reserved IP": a loopback address:port whose TCP connections are
//     forwarded to whichever droplet holds the IP, so a request through
//     public_url sees a switch as a user would;
//   - a plain-HTTP control interface for tests: GET /state, POST /faults,
//     POST /assign, POST /settings, POST /release, POST /clear-log.
// Prints one line to stdout once listening:
//   digitalocean-test-server: api https://A:P control http://A:C reserved_ip IP forward A:F
#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
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
#include <sstream>

#include "tools/digitalocean_test_server/account.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using bluegreen::digitalocean_test_server::account;
using bluegreen::digitalocean_test_server::droplet;
using nlohmann::json;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct options {
  std::string listen = "127.0.0.1:0";
  std::string control = "127.0.0.1:0";
  std::string certificate;
  std::string key;
  std::string token_file;
  std::string reserved_ip;
  std::string forward;  // default: reserved_ip:0
  std::vector<droplet> droplets;
  std::optional<std::int64_t> assigned;
  std::chrono::milliseconds action_time{2000};
  std::string region = "nyc3";
  // Keeps the assignment across restarts (the demo's sandbox): read at
  // start when it exists, written at every change.
  std::string state_file;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "digitalocean-test-server: " << why << "\n"
            << "usage: digitalocean-test-server --certificate PEM --key PEM --token-file FILE\n"
               "         --reserved-ip IP [--forward ADDR:PORT] --droplet ID=HOST:PORT[=NAME]...\n"
               "         [--assigned ID] [--action-time MS] [--listen ADDR:PORT]\n"
               "         [--control ADDR:PORT] [--region SLUG] [--state-file FILE]\n";
  std::exit(2);
}

tcp::endpoint endpoint_of(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) usage("\"" + text + "\" is not ADDRESS:PORT");
  return {asio::ip::make_address(text.substr(0, colon)),
          static_cast<unsigned short>(std::stoi(text.substr(colon + 1)))};
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--listen")
      o.listen = value();
    else if (a == "--control")
      o.control = value();
    else if (a == "--certificate")
      o.certificate = value();
    else if (a == "--key")
      o.key = value();
    else if (a == "--token-file")
      o.token_file = value();
    else if (a == "--reserved-ip")
      o.reserved_ip = value();
    else if (a == "--forward")
      o.forward = value();
    else if (a == "--assigned")
      o.assigned = std::stoll(value());
    else if (a == "--action-time")
      o.action_time = std::chrono::milliseconds(std::stoll(value()));
    else if (a == "--region")
      o.region = value();
    else if (a == "--state-file")
      o.state_file = value();
    else if (a == "--droplet") {
      std::string v = value();
      auto eq = v.find('=');
      if (eq == std::string::npos) usage("--droplet takes ID=HOST:PORT[=NAME]");
      droplet d;
      d.id = std::stoll(v.substr(0, eq));
      std::string rest = v.substr(eq + 1);
      auto eq2 = rest.find('=');
      d.address = rest.substr(0, eq2);
      d.name = eq2 == std::string::npos ? "droplet-" + std::to_string(d.id) : rest.substr(eq2 + 1);
      o.droplets.push_back(d);
    } else
      usage("unknown argument " + a);
  }
  if (o.certificate.empty() || o.key.empty() || o.token_file.empty() || o.reserved_ip.empty() ||
      o.droplets.empty())
    usage("--certificate, --key, --token-file, --reserved-ip and --droplet are required");
  if (o.forward.empty()) o.forward = o.reserved_ip + ":0";
  if (!o.state_file.empty()) {
    std::ifstream in(o.state_file);
    std::string held;
    if (in >> held) o.assigned = held == "none" ? std::nullopt : std::optional(std::stoll(held));
  }
  return o;
}

std::string read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) usage("cannot read the token file " + path);
  std::stringstream s;
  s << in.rdbuf();
  std::string t = s.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

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

class server {
 public:
  server(asio::io_context& io, options o)
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
    asio::co_spawn(io_, accept_api(), asio::detached);
    asio::co_spawn(io_, accept_control(), asio::detached);
    asio::co_spawn(io_, accept_forward(), asio::detached);
    auto api = api_.local_endpoint();
    auto control = control_.local_endpoint();
    auto forward = forward_.local_endpoint();
    std::cout << "digitalocean-test-server: api https://" << api.address().to_string() << ":"
              << api.port() << " control http://" << control.address().to_string() << ":"
              << control.port() << " reserved_ip " << options_.reserved_ip << " forward "
              << forward.address().to_string() << ":" << forward.port() << std::endl;
  }

 private:
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

  asio::awaitable<void> accept_api() {
    for (;;) {
      auto [ec, socket] = co_await api_.async_accept(use_tuple);
      if (ec) continue;
      asio::co_spawn(io_, api_session(std::move(socket)), asio::detached);
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

  asio::awaitable<void> accept_control() {
    for (;;) {
      auto [ec, socket] = co_await control_.async_accept(use_tuple);
      if (ec) continue;
      asio::co_spawn(io_, control_session(std::move(socket)), asio::detached);
    }
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

  asio::awaitable<void> accept_forward() {
    for (;;) {
      auto [ec, socket] = co_await forward_.async_accept(use_tuple);
      if (ec) continue;
      asio::co_spawn(io_, forward_session(std::move(socket)), asio::detached);
    }
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

}  // namespace

int main(int argc, char** argv) {
  try {
    options o = parse(argc, argv);
    asio::io_context io;
    server s(io, std::move(o));
    s.start();
    asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&](const beast::error_code&, int) { io.stop(); });
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "digitalocean-test-server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
