#include "daemon/traffic/digitalocean_backend.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

#include "daemon/duration.hpp"

namespace bluegreen::traffic {

namespace asio = boost::asio;
namespace api = digitalocean;
using std::chrono::milliseconds;

namespace {

// godo's policy: at most four retries after a 5xx or no answer in a row.
constexpr int kMaxServerErrors = 4;
constexpr milliseconds kMaxBackoff{8'000};

std::string seconds_text(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

std::string status_text(const net::http_response& r, const api::api_error& e) {
  std::string out = std::to_string(r.status);
  if (!e.id.empty()) out += " " + e.id;
  if (!e.message.empty()) out += " (" + e.message + ")";
  return out;
}

std::string where_the_token_is(const daemon::secret_ref& ref) {
  return ref.from == daemon::secret_ref::source::file ? "the file " + ref.name
                                                      : "the credential " + ref.name;
}

}  // namespace

digitalocean_backend::digitalocean_backend(const daemon::app_config& app,
                                           const daemon::digitalocean_backend& settings)
    : app_name_(app.name), settings_(settings) {
  options_.ca_file = settings_.ca_file;
}

asio::awaitable<void> digitalocean_backend::pause(milliseconds how_long) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, how_long);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

milliseconds digitalocean_backend::backoff(int attempt) const {
  milliseconds wait = settings_.poll_interval;
  for (int i = 1; i < attempt && wait < kMaxBackoff; ++i) wait *= 2;
  return std::min(wait, kMaxBackoff);
}

daemon::result<std::string> digitalocean_backend::token() const {
  auto value = daemon::read_secret(settings_.token);
  if (!value)
    return backend_failure("backend_failed",
                           "cannot read the DigitalOcean API token: " + value.error().message);
  if (value.value().empty())
    return backend_failure("backend_failed", "the DigitalOcean API token in " +
                                                 where_the_token_is(settings_.token) + " is empty");
  return value;
}

std::string digitalocean_backend::droplet_text(std::int64_t id) const {
  std::string out = "droplet " + std::to_string(id);
  if (id == settings_.blue_droplet_id) out += " (blue)";
  if (id == settings_.green_droplet_id) out += " (green)";
  return out;
}

std::string digitalocean_backend::holder(const api::reserved_ip& ip) const {
  if (!ip.droplet_id) return "no droplet (unassigned)";
  return droplet_text(*ip.droplet_id);
}

outcome digitalocean_backend::routing_of(const api::reserved_ip& ip) const {
  if (ip.droplet_id && *ip.droplet_id == settings_.blue_droplet_id)
    return routing::all_to(daemon::colour::blue);
  if (ip.droplet_id && *ip.droplet_id == settings_.green_droplet_id)
    return routing::all_to(daemon::colour::green);
  if (!ip.droplet_id)
    return backend_failure("routing_unknown", "the reserved IP " + settings_.reserved_ip +
                                                  " is not assigned to any droplet");
  std::string name = ip.droplet_name.empty() ? "" : " \"" + ip.droplet_name + "\"";
  return backend_failure("routing_unknown",
                         "the reserved IP " + settings_.reserved_ip + " is assigned to droplet " +
                             std::to_string(*ip.droplet_id) + name + ", which is neither blue's (" +
                             std::to_string(settings_.blue_droplet_id) + ") nor green's (" +
                             std::to_string(settings_.green_droplet_id) + ")");
}

daemon::failure digitalocean_backend::api_failure(const std::string& what,
                                                  const net::http_response& r) const {
  auto e = api::parse_error(r.body, r.headers);
  std::string detail = "HTTP " + std::to_string(r.status) +
                       (e.request_id.empty() ? "" : ", request id " + e.request_id);
  if (r.status == 401)
    return backend_failure(
        "unauthorized",
        "DigitalOcean refused the API token in " + where_the_token_is(settings_.token) + " (" +
            status_text(r, e) +
            "): it is invalid or expired, or lacks the reserved_ip:read and reserved_ip:update "
            "scopes; create one with both in the DigitalOcean control panel",
        detail);
  if (r.status == 404)
    return backend_failure("not_found",
                           "DigitalOcean has no reserved IP " + settings_.reserved_ip +
                               " for this token (" + status_text(r, e) +
                               "): check reserved_ip, and that the token belongs to the IP's team",
                           detail);
  if (r.status == 429)
    return backend_failure("rate_limited",
                           what + ": DigitalOcean's rate limit is reached (" + status_text(r, e) +
                               ") and lifts after the switch deadline; try again later",
                           detail);
  return backend_failure(r.status >= 500 ? "backend_failed" : "refused",
                         what + ": DigitalOcean answered " + status_text(r, e), detail);
}

daemon::failure digitalocean_backend::no_answer(const std::string& what, const exchange& e) const {
  if (e.deadline_passed)
    return backend_failure("timeout", what + ": no answer within the switch deadline (" +
                                          daemon::format_duration(settings_.switch_timeout) +
                                          ", switch_timeout)" +
                                          (e.error.empty() ? "" : ": " + e.error));
  return backend_failure("backend_failed", what + ": the DigitalOcean API at " + settings_.api_url +
                                               " did not answer: " + e.error);
}

asio::awaitable<digitalocean_backend::exchange> digitalocean_backend::call(
    std::string method, std::string path, std::string body, const std::string& token,
    clock::time_point deadline) {
  exchange out;
  auto now = clock::now();
  if (not_before_ > now) {
    if (not_before_ >= deadline) {
      out.deadline_passed = true;
      out.error = "DigitalOcean's rate limit allows no request before the deadline";
      co_return out;
    }
    auto wait = std::chrono::duration_cast<milliseconds>(not_before_ - now);
    co_await pause(wait);
    now = clock::now();
  }
  if (now >= deadline) {
    out.deadline_passed = true;
    co_return out;
  }
  net::http_request request;
  request.method = std::move(method);
  request.url = settings_.api_url + path;
  request.headers.push_back({"Authorization", "Bearer " + token});
  request.headers.push_back({"Accept", "application/json"});
  if (!body.empty()) request.headers.push_back({"Content-Type", "application/json"});
  request.body = std::move(body);
  net::request_options options = options_;
  auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
  options.total_timeout = std::max(milliseconds(1), std::min(options.total_timeout, left));
  options.connect_timeout = std::min(options.connect_timeout, options.total_timeout);
  ++requests_;
  auto result = co_await client_.send(request, options);
  if (!result) {
    out.error = result.error().message;
    out.deadline_passed =
        result.error().kind == net::error_kind::timeout && clock::now() >= deadline;
    co_return out;
  }
  auto limit = api::parse_rate_limit(result.response().headers);
  if (limit.remaining && *limit.remaining == 0 && result.response().status != 429) {
    milliseconds wait = api::rate_limit_wait(limit, std::time(nullptr), std::chrono::seconds(1));
    not_before_ = clock::now() + wait;
  }
  out.response = std::move(result.response());
  co_return out;
}

asio::awaitable<digitalocean_backend::ip_result> digitalocean_backend::read_ip(
    const std::string& token, clock::time_point deadline) {
  const std::string what = "reading the reserved IP " + settings_.reserved_ip;
  const std::string path = "/v2/reserved_ips/" + settings_.reserved_ip;
  const std::string get = "GET";
  const std::string no_body;
  int errors = 0;
  for (;;) {
    auto e = co_await call(get, path, no_body, token, deadline);
    if (!e.response) {
      if (e.deadline_passed || ++errors > kMaxServerErrors) co_return no_answer(what, e);
      auto wait = backoff(errors);
      co_await pause(wait);
      continue;
    }
    const auto& r = *e.response;
    if (r.status == 200) {
      if (auto ip = api::parse_reserved_ip(r.body)) co_return *ip;
      co_return backend_failure("backend_failed",
                                what + ": DigitalOcean's answer is not a reserved IP object",
                                r.body.substr(0, 200));
    }
    if (r.status == 429) {
      milliseconds wait = api::rate_limit_wait(api::parse_rate_limit(r.headers), std::time(nullptr),
                                               std::chrono::seconds(1));
      if (clock::now() + wait >= deadline) co_return api_failure(what, r);
      co_await pause(wait);
      continue;
    }
    if (r.status >= 500 && ++errors <= kMaxServerErrors) {
      auto wait = backoff(errors);
      co_await pause(wait);
      continue;
    }
    co_return api_failure(what, r);
  }
}

asio::awaitable<digitalocean_backend::ip_result> digitalocean_backend::read_settled(
    const std::string& token, clock::time_point deadline, bool& settled, const log_fn& log) {
  bool said = false;
  for (;;) {
    auto ip = co_await read_ip(token, deadline);
    if (!ip || !ip.value().locked) {
      settled = true;
      co_return ip;
    }
    if (clock::now() + settings_.poll_interval >= deadline) {
      settled = false;
      co_return ip;
    }
    if (!said && log)
      log("DigitalOcean: the reserved IP " + settings_.reserved_ip +
          " has a pending action (locked); waiting for it to end");
    said = true;
    co_await pause(settings_.poll_interval);
  }
}

asio::awaitable<outcome> digitalocean_backend::current(log_fn log) {
  auto t = token();
  if (!t) co_return t.error();
  requests_ = 0;
  auto deadline = clock::now() + settings_.switch_timeout;
  bool settled = true;
  auto ip = co_await read_settled(t.value(), deadline, settled, log);
  if (!ip) co_return ip.error();
  if (!settled && log)
    log("DigitalOcean: the reserved IP " + settings_.reserved_ip + " is still locked after " +
        daemon::format_duration(settings_.switch_timeout) + "; it is held by " +
        holder(ip.value()) + " now");
  co_return routing_of(ip.value());
}

asio::awaitable<outcome> digitalocean_backend::follow_action(api::action action, std::int64_t want,
                                                             const std::string& token,
                                                             clock::time_point deadline,
                                                             const log_fn& log) {
  const std::string name = "action #" + std::to_string(action.id);
  const std::string path =
      "/v2/reserved_ips/" + settings_.reserved_ip + "/actions/" + std::to_string(action.id);
  auto started = clock::now();
  int errors = 0;
  bool not_found = false;  // follow the IP instead of the action
  std::optional<api::reserved_ip> last;
  while (action.status == "in-progress" || action.status == "new") {
    if (clock::now() + settings_.poll_interval >= deadline) {
      std::string held = last ? holder(*last) : "the droplet it had";
      auto soon = clock::now() + milliseconds(5'000);
      auto ip = co_await read_ip(token, soon);
      if (ip) held = holder(ip.value());
      co_return backend_failure(
          "action_timeout",
          "DigitalOcean's assign " + name + " is still in progress after " +
              daemon::format_duration(settings_.switch_timeout) +
              " (switch_timeout); the reserved IP " + settings_.reserved_ip + " is held by " +
              held + " for now and moves to " + droplet_text(want) +
              " if the action completes later. Check the action in the DigitalOcean control "
              "panel, then switch again");
    }
    co_await pause(settings_.poll_interval);
    if (not_found) {
      auto ip = co_await read_ip(token, deadline);
      if (!ip) co_return ip.error();
      last = ip.value();
      if (ip.value().locked) continue;
      if (ip.value().droplet_id == want) break;
      co_return backend_failure(
          "not_applied", "DigitalOcean's assign " + name + " cannot be found and the reserved IP " +
                             settings_.reserved_ip + " is still held by " + holder(ip.value()) +
                             ", not " + droplet_text(want));
    }
    const std::string get = "GET";
    const std::string no_body;
    auto e = co_await call(get, path, no_body, token, deadline);
    if (!e.response) {
      if (e.deadline_passed) continue;  // reported above with what the IP holds
      if (++errors > kMaxServerErrors) co_return no_answer("following " + name, e);
      continue;
    }
    const auto& r = *e.response;
    if (r.status == 200) {
      errors = 0;
      auto a = api::parse_action(r.body);
      if (!a)
        co_return backend_failure("backend_failed",
                                  "following " + name + ": DigitalOcean's answer is not an action",
                                  r.body.substr(0, 200));
      action = *a;
    } else if (r.status == 404) {
      // Briefly for new actions, for ever for some IPs: the IP tells.
      if (log)
        log("DigitalOcean: " + name + " is not found (404); following the reserved IP instead");
      not_found = true;
    } else if (r.status == 429) {
      milliseconds wait = api::rate_limit_wait(api::parse_rate_limit(r.headers), std::time(nullptr),
                                               std::chrono::seconds(1));
      if (clock::now() + wait < deadline) co_await pause(wait);
    } else if (r.status >= 500 && ++errors <= kMaxServerErrors) {
      auto wait = backoff(errors);
      co_await pause(wait);
    } else {
      co_return api_failure("following " + name, r);
    }
  }
  auto took = std::chrono::duration_cast<milliseconds>(clock::now() - started);
  bool settled = true;
  auto ip = co_await read_settled(token, deadline, settled, log);
  if (!ip) co_return ip.error();
  if (action.status == "errored")
    co_return backend_failure("action_errored", "DigitalOcean's assign " + name +
                                                    " ended errored after " + seconds_text(took) +
                                                    "; the reserved IP " + settings_.reserved_ip +
                                                    " is held by " + holder(ip.value()));
  if (action.status != "completed" && !not_found)
    co_return backend_failure("backend_failed", "DigitalOcean's assign " + name +
                                                    " ended with status \"" + action.status +
                                                    "\"; the reserved IP " + settings_.reserved_ip +
                                                    " is held by " + holder(ip.value()));
  if (ip.value().droplet_id != want)
    co_return backend_failure(
        "not_applied", "DigitalOcean's assign " + name + " completed but the reserved IP " +
                           settings_.reserved_ip + " is held by " + holder(ip.value()) + ", not " +
                           droplet_text(want));
  if (log)
    log("DigitalOcean: " + name + " completed in " + seconds_text(took) + "; " +
        settings_.reserved_ip + " is on " + droplet_text(want) + " (" + std::to_string(requests_) +
        " API requests)");
  co_return routing_of(ip.value());
}

asio::awaitable<outcome> digitalocean_backend::route(routing target, log_fn log) {
  auto c = target.single();
  if (!c)
    co_return backend_failure("weights_unsupported",
                              "a reserved IP points at one droplet: the digitalocean backend "
                              "cannot split traffic by weight");
  auto t = token();
  if (!t) co_return t.error();
  const std::string& token = t.value();
  requests_ = 0;
  const std::int64_t want =
      *c == daemon::colour::blue ? settings_.blue_droplet_id : settings_.green_droplet_id;
  const std::string what =
      "assigning the reserved IP " + settings_.reserved_ip + " to " + droplet_text(want);
  const std::string path = "/v2/reserved_ips/" + settings_.reserved_ip + "/actions";
  auto deadline = clock::now() + settings_.switch_timeout;
  int errors = 0;
  for (;;) {
    // Before every assign, the first one included: what the IP holds now.
    // A previous attempt may have worked without our hearing of it.
    bool settled = true;
    auto ip = co_await read_settled(token, deadline, settled, log);
    if (!ip) co_return ip.error();
    if (!settled)
      co_return backend_failure("action_timeout",
                                what + ": the reserved IP has had a pending action (locked) for " +
                                    daemon::format_duration(settings_.switch_timeout) +
                                    " (switch_timeout); it is held by " + holder(ip.value()));
    if (ip.value().droplet_id == want) {
      if (log)
        log("DigitalOcean: the reserved IP " + settings_.reserved_ip + " is on " +
            droplet_text(want) + " (" + std::to_string(requests_) + " API requests)");
      co_return routing_of(ip.value());
    }
    if (log)
      log("DigitalOcean: assigning the reserved IP " + settings_.reserved_ip + " to " +
          droplet_text(want) + "; it is on " + holder(ip.value()));
    std::string body = api::assign_body(want);
    const std::string post = "POST";
    auto e = co_await call(post, path, body, token, deadline);
    if (!e.response) {
      if (e.deadline_passed || ++errors > kMaxServerErrors) {
        auto failed = no_answer(what, e);
        auto soon = clock::now() + milliseconds(5'000);
        auto now = co_await read_ip(token, soon);
        if (now) failed.message += "; the reserved IP is held by " + holder(now.value());
        co_return failed;
      }
      if (log) log("DigitalOcean: no answer to the assign (" + e.error + "); reading the IP again");
      auto wait = backoff(errors);
      co_await pause(wait);
      continue;
    }
    const auto& r = *e.response;
    if (r.status >= 200 && r.status < 300) {
      auto a = api::parse_action(r.body);
      if (a) {
        if (log) log("DigitalOcean: assign action #" + std::to_string(a->id) + " is " + a->status);
        api::action started = *a;
        auto followed = co_await follow_action(started, want, token, deadline, log);
        co_return followed;
      }
      // A success without an action cannot be followed: the IP tells.
      if (++errors > kMaxServerErrors)
        co_return backend_failure("backend_failed",
                                  what + ": DigitalOcean's answers carry no action",
                                  r.body.substr(0, 200));
      continue;
    }
    auto error = api::parse_error(r.body, r.headers);
    if (api::is_pending_event(r.status, error)) {
      if (log) log("DigitalOcean: " + status_text(r, error) + "; waiting for the pending action");
      if (clock::now() + settings_.poll_interval >= deadline)
        co_return backend_failure("action_timeout",
                                  what +
                                      ": the reserved IP still has a pending event at the "
                                      "switch deadline (" +
                                      daemon::format_duration(settings_.switch_timeout) +
                                      ", switch_timeout); it is held by " + holder(ip.value()));
      co_await pause(settings_.poll_interval);
      continue;
    }
    if (r.status == 429) {
      milliseconds wait = api::rate_limit_wait(api::parse_rate_limit(r.headers), std::time(nullptr),
                                               std::chrono::seconds(1));
      if (clock::now() + wait >= deadline) co_return api_failure(what, r);
      if (log)
        log("DigitalOcean: rate limited (429); trying again in " +
            daemon::format_duration(std::chrono::duration_cast<milliseconds>(wait)));
      co_await pause(wait);
      continue;
    }
    if (r.status >= 500 && ++errors <= kMaxServerErrors) {
      auto wait = backoff(errors);
      if (log)
        log("DigitalOcean: " + status_text(r, error) + "; reading the IP again in " +
            daemon::format_duration(wait) + " before any new assign");
      co_await pause(wait);
      continue;
    }
    auto failed = api_failure(what, r);
    if (r.status >= 500) {
      auto soon = clock::now() + milliseconds(5'000);
      auto now = co_await read_ip(token, soon);
      if (now) failed.message += "; the reserved IP is held by " + holder(now.value());
    }
    co_return failed;
  }
}

}  // namespace bluegreen::traffic
