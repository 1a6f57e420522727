// digitalocean_backend routes an app's traffic by moving a DigitalOcean
// reserved (formerly floating) IP between the droplet of each colour, over
// the API v2: current() reads which droplet holds the IP; route() assigns it
// to the target's droplet, follows the action until it completes or errors,
// and reads the IP back. Every retry starts by reading the IP, never by
// repeating the assign blindly (the first one may have worked). Rate limits
// (429, Retry-After, ratelimit-*), 5xx (bounded backoff), 401, 404, the 422
// "pending event" and an action stuck in progress are each handled within
// the switch deadline and reported with what the IP holds. The API token
// comes from a secret and never appears in a message or log line.
//
// Thread-safety: as backend (one app's switches are serialised by the
// engine; the rate-limit pause is per backend).
#pragma once

#include <chrono>
#include <optional>

#include "daemon/net/http_client.hpp"
#include "daemon/traffic/backend.hpp"
#include "daemon/traffic/digitalocean_api.hpp"

namespace bluegreen::traffic {

class digitalocean_backend final : public backend {
 public:
  digitalocean_backend(const daemon::app_config& app, const daemon::digitalocean_backend& settings);

  bool supports_weights() const override { return false; }
  boost::asio::awaitable<outcome> current(log_fn log) override;
  boost::asio::awaitable<outcome> route(routing target, log_fn log) override;

 private:
  using clock = std::chrono::steady_clock;
  using ip_result = daemon::result<digitalocean::reserved_ip>;

  // One exchange, paced by what the rate limit said last.
  struct exchange {
    std::optional<net::http_response> response;
    std::string error;  // no answer: why (never the request's headers)
    bool deadline_passed = false;
  };
  boost::asio::awaitable<exchange> call(std::string method, std::string path, std::string body,
                                        const std::string& token, clock::time_point deadline);
  // GET the reserved IP, through 429 and 5xx, until the deadline.
  boost::asio::awaitable<ip_result> read_ip(const std::string& token, clock::time_point deadline);
  // read_ip, waiting while the IP is locked by a pending action; `settled`
  // false when it was still locked at the deadline.
  boost::asio::awaitable<ip_result> read_settled(const std::string& token,
                                                 clock::time_point deadline, bool& settled,
                                                 const log_fn& log);
  // Follows an assign action to its end, or the IP when the action is not
  // found; the outcome is the IP's routing read after it.
  boost::asio::awaitable<outcome> follow_action(digitalocean::action action, std::int64_t want,
                                                const std::string& token,
                                                clock::time_point deadline, const log_fn& log);
  boost::asio::awaitable<void> pause(std::chrono::milliseconds how_long);

  daemon::result<std::string> token() const;
  outcome routing_of(const digitalocean::reserved_ip& ip) const;
  std::string holder(const digitalocean::reserved_ip& ip) const;
  std::string droplet_text(std::int64_t id) const;
  daemon::failure api_failure(const std::string& what, const net::http_response& r) const;
  daemon::failure no_answer(const std::string& what, const exchange& e) const;
  std::chrono::milliseconds backoff(int attempt) const;

  std::string app_name_;
  daemon::digitalocean_backend settings_;
  net::http_client client_;
  net::request_options options_;
  // Nothing is sent before this: the rate limit said none remain.
  clock::time_point not_before_{};
  int requests_ = 0;  // made by the current or route call in progress
};

}  // namespace bluegreen::traffic
