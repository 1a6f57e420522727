#include "tools/digitalocean_test_server/account.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace bluegreen::digitalocean_test_server {

namespace {

using nlohmann::json;
using std::chrono::system_clock;

// The documented limits: per token, 5,000 requests an hour and 250 a minute.
constexpr int kHourlyLimit = 5000;
constexpr int kMinuteLimit = 250;

std::string iso8601(system_clock::time_point t) {
  std::time_t s = system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t epoch_seconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::vector<std::string> split_path(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::optional<std::int64_t> to_id(const std::string& text) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(text);
}

}  // namespace

account::account(std::string token, std::string reserved_ip, std::vector<droplet> droplets,
                 std::optional<std::int64_t> assigned, std::chrono::milliseconds action_time,
                 std::string region)
    : token_(std::move(token)),
      reserved_ip_(std::move(reserved_ip)),
      droplets_(std::move(droplets)),
      assigned_(assigned),
      action_time_(action_time),
      region_(std::move(region)) {}

json account::region_json() const {
  return {
      {"name", "New York 3"},
      {"slug", region_},
      {"features", {"backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"}},
      {"available", true},
      {"sizes", {"s-1vcpu-1gb", "s-1vcpu-2gb", "s-2vcpu-2gb", "s-2vcpu-4gb"}}};
}

json account::droplet_json(const droplet& d) const {
  std::string host = d.address.substr(0, d.address.rfind(':'));
  return {{"id", d.id},
          {"name", d.name},
          {"memory", 1024},
          {"vcpus", 1},
          {"disk", 25},
          {"locked", false},
          {"status", "active"},
          {"kernel", nullptr},
          {"created_at", "2026-01-05T10:00:00Z"},
          {"features", json::array()},
          {"backup_ids", json::array()},
          {"next_backup_window", nullptr},
          {"snapshot_ids", json::array()},
          {"image", {{"id", 129211873}, {"name", "24.04 (LTS) x64"}, {"distribution", "Ubuntu"}}},
          {"volume_ids", json::array()},
          {"size", {{"slug", "s-1vcpu-1gb"}, {"memory", 1024}, {"vcpus", 1}, {"disk", 25}}},
          {"size_slug", "s-1vcpu-1gb"},
          {"networks",
           {{"v4",
             {{{"ip_address", host},
               {"netmask", "255.0.0.0"},
               {"gateway", "127.0.0.1"},
               {"type", "public"}}}},
            {"v6", json::array()}}},
          {"region", region_json()},
          {"tags", json::array()},
          {"vpc_uuid", "760e09ef-dc84-11e8-981e-3cfdfeaae000"}};
}

json account::action_json(const action& a) const {
  json completed = a.completed_at ? json(*a.completed_at) : json(nullptr);
  return {{"id", a.id},
          {"status", a.status},
          {"type", a.type},
          {"started_at", a.started_at},
          {"completed_at", completed},
          // The reserved IP as an integer, as the API reports it.
          {"resource_id", 758604968},
          {"resource_type", "reserved_ip"},
          {"region", region_json()},
          {"region_slug", region_},
          {"project_id", "746c6152-2fa2-11ed-92d3-27aaa54e4988"}};
}

bool account::locked() const {
  return std::any_of(actions_.begin(), actions_.end(),
                     [](const auto& e) { return e.second.status == "in-progress"; });
}

api_reply account::error(int status, const std::string& id, const std::string& message) {
  api_reply r;
  r.status = status;
  std::string request_id = "9f1c0e2a-" + std::to_string(requests_);
  r.body = json{{"id", id}, {"message", message}, {"request_id", request_id}}.dump();
  return r;
}

api_reply account::reserved_ip_reply() const {
  json d = nullptr;
  if (auto h = holder()) d = droplet_json(*h);
  json body = {{"reserved_ip",
                {{"ip", reserved_ip_},
                 {"region", region_json()},
                 {"droplet", d},
                 {"locked", locked()},
                 {"project_id", "746c6152-2fa2-11ed-92d3-27aaa54e4988"}}},
               {"links", json::object()}};
  return {200, {}, body.dump()};
}

api_reply account::action_reply(int status, const action& a) const {
  return {status, {}, json{{"action", action_json(a)}}.dump()};
}

std::optional<droplet> account::holder() const {
  if (!assigned_) return std::nullopt;
  for (const auto& d : droplets_)
    if (d.id == *assigned_) return d;
  return std::nullopt;
}

account::action* account::find_action(std::int64_t id) {
  auto it = actions_.find(id);
  return it == actions_.end() ? nullptr : &it->second;
}

std::int64_t account::start_action(std::string type, std::optional<std::int64_t> droplet_id,
                                   bool changes_ip) {
  action a;
  a.id = next_action_id_++;
  a.type = std::move(type);
  a.started_at = iso8601(now_);
  a.droplet_id = droplet_id;
  a.changes_ip = changes_ip;
  if (changes_ip) {
    a.will_error = std::exchange(next_errored_, false);
    a.stuck = std::exchange(next_stuck_, false);
    a.not_found_gets = std::exchange(next_not_found_, 0);
  }
  started_.emplace_back(a.id, a.stuck ? std::nullopt : std::optional(action_time_));
  actions_[a.id] = a;
  return a.id;
}

std::optional<account::fault> account::take_fault(const std::string& method, bool is_post_action) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!it->method.empty() && it->method != method) continue;
    if (it->kind == "pending" && !is_post_action) continue;
    fault f = *it;
    if (--it->count <= 0) faults_.erase(it);
    return f;
  }
  return std::nullopt;
}

api_reply account::post_action(const std::string& body, bool apply_only) {
  json req = json::parse(body, nullptr, false);
  if (req.is_discarded() || !req.is_object() || !req.contains("type") || !req["type"].is_string())
    return error(422, "unprocessable_entity", "request payload validation failed");
  std::string type = req["type"];
  if (type == "assign") {
    if (!req.contains("droplet_id") || !req["droplet_id"].is_number_integer())
      return error(422, "unprocessable_entity", "request payload validation failed");
    std::int64_t id = req["droplet_id"];
    bool known = std::any_of(droplets_.begin(), droplets_.end(),
                             [&](const droplet& d) { return d.id == id; });
    if (!known) return error(422, "unprocessable_entity", "Droplet could not be found.");
  } else if (type != "unassign") {
    return error(422, "unprocessable_entity", "request payload validation failed");
  }
  if (locked())
    return error(422, "unprocessable_entity", "The reserved IP already has a pending event.");
  std::optional<std::int64_t> target;
  if (type == "assign") target = req["droplet_id"].get<std::int64_t>();
  std::int64_t id = start_action(type == "assign" ? "assign_ip" : "unassign_ip", target, true);
  if (apply_only) return {};
  return action_reply(201, actions_.at(id));
}

api_reply account::handle(const std::string& method, const std::string& target,
                          const std::string& authorization, const std::string& body,
                          system_clock::time_point now) {
  now_ = now;
  ++requests_;
  while (!recent_.empty() && recent_.front() <= now - std::chrono::hours(1)) recent_.pop_front();
  recent_.push_back(now);
  auto parts = split_path(target);
  bool is_post_action = method == "POST" && parts.size() == 4 && parts[3] == "actions";

  api_reply reply;
  auto in_minute = std::count_if(recent_.begin(), recent_.end(),
                                 [&](auto t) { return t > now - std::chrono::minutes(1); });
  std::optional<fault> f;
  if (in_minute > kMinuteLimit) {
    auto first = *std::find_if(recent_.begin(), recent_.end(),
                               [&](auto t) { return t > now - std::chrono::minutes(1); });
    auto wait =
        std::chrono::duration_cast<std::chrono::seconds>(first + std::chrono::minutes(1) - now)
            .count();
    reply = error(429, "too_many_requests", "API rate limit exceeded.");
    reply.headers.emplace_back("retry-after", std::to_string(std::max<long long>(1, wait)));
  } else if (static_cast<int>(recent_.size()) > kHourlyLimit) {
    reply = error(429, "too_many_requests", "API rate limit exceeded.");
  } else if ((f = take_fault(method, is_post_action))) {
    if (f->kind == "unauthorized") {
      reply = error(401, "unauthorized", "Unable to authenticate you.");
    } else if (f->kind == "rate_limited") {
      reply = error(429, "too_many_requests", "API rate limit exceeded.");
      reply.headers.emplace_back("retry-after", std::to_string(f->retry_after));
    } else if (f->kind == "server_error") {
      if (f->apply && is_post_action && authorization == "Bearer " + token_)
        post_action(body, true);
      reply = error(500, "server_error", "Unexpected server-side error");
    } else {  // pending: another client's action slipped in and holds the IP
      start_action("assign_ip", assigned_, false);
      reply = error(422, "unprocessable_entity", "The reserved IP already has a pending event.");
    }
  } else if (authorization != "Bearer " + token_) {
    reply = error(401, "unauthorized", "Unable to authenticate you.");
  } else if (parts.size() >= 3 && parts[0] == "v2" && parts[1] == "reserved_ips" &&
             parts[2] != reserved_ip_) {
    reply = error(404, "not_found", "The resource you requested could not be found.");
  } else if (parts.size() == 3 && parts[0] == "v2" && parts[1] == "reserved_ips") {
    reply = method == "GET" ? reserved_ip_reply()
                            : error(405, "method_not_allowed", "Method not allowed.");
  } else if (parts.size() == 4 && parts[0] == "v2" && parts[1] == "reserved_ips" &&
             parts[3] == "actions") {
    if (method == "POST") {
      reply = post_action(body, false);
    } else if (method == "GET") {
      json list = json::array();
      for (const auto& [id, a] : actions_)
        if (a.changes_ip) list.push_back(action_json(a));
      reply = {
          200,
          {},
          json{{"actions", list}, {"links", json::object()}, {"meta", {{"total", list.size()}}}}
              .dump()};
    } else {
      reply = error(405, "method_not_allowed", "Method not allowed.");
    }
  } else if ((parts.size() == 5 && parts[0] == "v2" && parts[1] == "reserved_ips" &&
              parts[3] == "actions") ||
             (parts.size() == 3 && parts[0] == "v2" && parts[1] == "actions")) {
    auto id = to_id(parts.back());
    action* a = id ? find_action(*id) : nullptr;
    if (method != "GET") {
      reply = error(405, "method_not_allowed", "Method not allowed.");
    } else if (!a || !a->changes_ip) {
      reply = error(404, "not_found", "The resource you requested could not be found.");
    } else if (a->not_found_gets != 0) {
      if (a->not_found_gets > 0) --a->not_found_gets;
      reply = error(404, "not_found", "The resource you requested could not be found.");
    } else {
      reply = action_reply(200, *a);
    }
  } else {
    reply = error(404, "not_found", "The resource you requested could not be found.");
  }

  // Every answer carries the rate limit; reset is when the oldest request of
  // the hour expires.
  int remaining = std::max(0, kHourlyLimit - static_cast<int>(recent_.size()));
  if (f && f->kind == "rate_limited") remaining = 0;
  reply.headers.emplace_back("ratelimit-limit", std::to_string(kHourlyLimit));
  reply.headers.emplace_back("ratelimit-remaining", std::to_string(remaining));
  reply.headers.emplace_back(
      "ratelimit-reset", std::to_string(epoch_seconds(recent_.front() + std::chrono::hours(1))));
  reply.headers.emplace_back("x-request-id", "9f1c0e2a-" + std::to_string(requests_));
  reply.headers.emplace_back("content-type", "application/json; charset=utf-8");
  log_.push_back({method, target, reply.status, body});
  return reply;
}

std::vector<std::pair<std::int64_t, std::optional<std::chrono::milliseconds>>>
account::take_started() {
  return std::exchange(started_, {});
}

void account::finish(std::int64_t action_id, system_clock::time_point now) {
  action* a = find_action(action_id);
  if (!a || a->status != "in-progress") return;
  a->completed_at = iso8601(now);
  if (a->will_error) {
    a->status = "errored";
    return;
  }
  a->status = "completed";
  if (a->changes_ip && assigned_ != a->droplet_id) {
    assigned_ = a->droplet_id;
    ++generation_;
  }
}

void account::release_stuck(system_clock::time_point now) {
  for (auto& [id, a] : actions_)
    if (a.stuck && a.status == "in-progress") finish(id, now);
}

void account::assign_by_hand(std::optional<std::int64_t> droplet_id) {
  if (assigned_ == droplet_id) return;
  assigned_ = droplet_id;
  ++generation_;
}

std::optional<std::string> account::add_fault(const json& spec) {
  if (!spec.is_object() || !spec.contains("fault") || !spec["fault"].is_string())
    return "expected {\"fault\": NAME, ...}";
  std::string kind = spec["fault"];
  int count = spec.value("count", 1);
  if (kind == "errored") {
    next_errored_ = true;
  } else if (kind == "stuck") {
    next_stuck_ = true;
  } else if (kind == "action_not_found") {
    next_not_found_ = count;  // -1: for ever
  } else if (kind == "unauthorized" || kind == "rate_limited" || kind == "server_error" ||
             kind == "pending") {
    fault f;
    f.kind = kind;
    f.count = count;
    f.retry_after = spec.value("retry_after", 1);
    f.method = spec.value("method", std::string());
    f.apply = spec.value("apply", false);
    faults_.push_back(f);
  } else {
    return "unknown fault \"" + kind +
           "\": expected unauthorized, rate_limited, server_error, pending, errored, stuck or "
           "action_not_found";
  }
  return std::nullopt;
}

json account::state() const {
  json requests = json::array();
  for (const auto& r : log_)
    requests.push_back(
        {{"method", r.method}, {"target", r.target}, {"status", r.status}, {"body", r.body}});
  json actions = json::array();
  for (const auto& [id, a] : actions_)
    if (a.changes_ip) actions.push_back(action_json(a));
  json holder_id = nullptr;
  if (assigned_) holder_id = *assigned_;
  return {{"reserved_ip", reserved_ip_},
          {"droplet_id", holder_id},
          {"locked", locked()},
          {"actions", actions},
          {"requests", requests},
          {"request_count", requests_},
          {"action_time_ms", action_time_.count()}};
}

}  // namespace bluegreen::digitalocean_test_server
