// The DigitalOcean API v2 messages the reserved-IP backend exchanges, as
// plain values: what a reserved IP, an action and an error body say, the
// rate-limit header fields, and how long to wait before the next request.
// Parsing is tolerant of fields it does not use and strict about the ones
// it does (an id that is not an integer is not the documented shape).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/net/http_header.hpp"

namespace bluegreen::traffic::digitalocean {

// GET /v2/reserved_ips/{ip}: which droplet holds the IP, and whether a
// pending action keeps new ones from being submitted.
struct reserved_ip {
  std::optional<std::int64_t> droplet_id;  // none: unassigned
  std::string droplet_name;
  bool locked = false;
};
std::optional<reserved_ip> parse_reserved_ip(std::string_view body);

// {"action": {...}}: the id to poll and its status ("in-progress",
// "completed", "errored"; anything else is passed on as it is).
struct action {
  std::int64_t id = 0;
  std::string status;
  std::string type;
};
std::optional<action> parse_action(std::string_view body);

// {"id","message","request_id"}; request_id falls back to the x-request-id
// header. A body that is not the documented shape gives an empty id and the
// body's start (one line, at most 200 bytes) as the message.
struct api_error {
  std::string id;
  std::string message;
  std::string request_id;
};
api_error parse_error(std::string_view body, const std::vector<net::http_header>& headers);

// The 422 DigitalOcean answers while another action on the IP (or its
// droplet) is pending: "The reserved IP already has a pending event."
bool is_pending_event(int status, const api_error& error);

// ratelimit-* and retry-after, as numbers (absent or malformed: nothing).
struct rate_limit {
  std::optional<std::int64_t> remaining;
  std::optional<std::int64_t> reset;        // Unix time the oldest request expires
  std::optional<std::int64_t> retry_after;  // seconds; only on a burst 429
};
rate_limit parse_rate_limit(const std::vector<net::http_header>& headers);

// How long to wait before the next request after a 429: Retry-After when
// given, else until ratelimit-reset when nothing remains, else `fallback`.
std::chrono::seconds rate_limit_wait(const rate_limit& limit, std::int64_t now_unix,
                                     std::chrono::seconds fallback);

// The request bodies, exactly as documented.
std::string assign_body(std::int64_t droplet_id);

}  // namespace bluegreen::traffic::digitalocean
