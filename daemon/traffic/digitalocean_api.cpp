#include "daemon/traffic/digitalocean_api.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "daemon/one_line_text.hpp"

namespace bluegreen::traffic::digitalocean {

using nlohmann::json;

namespace {

std::optional<std::int64_t> header_number(const std::vector<net::http_header>& headers,
                                          std::string_view name) {
  auto text = net::find_header(headers, name);
  return text ? net::decimal_value(*text) : std::nullopt;
}

}  // namespace

std::optional<reserved_ip> parse_reserved_ip(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  auto it = doc.find("reserved_ip");
  if (it == doc.end() || !it->is_object()) return std::nullopt;
  reserved_ip out;
  if (auto locked = it->find("locked"); locked != it->end() && locked->is_boolean())
    out.locked = locked->get<bool>();
  auto d = it->find("droplet");
  if (d == it->end() || d->is_null()) return out;  // unassigned
  if (!d->is_object()) return std::nullopt;
  auto id = d->find("id");
  if (id == d->end() || !id->is_number_integer()) return std::nullopt;
  out.droplet_id = id->get<std::int64_t>();
  if (auto name = d->find("name"); name != d->end() && name->is_string())
    out.droplet_name = name->get<std::string>();
  return out;
}

std::optional<action> parse_action(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  auto it = doc.find("action");
  if (it == doc.end() || !it->is_object()) return std::nullopt;
  auto id = it->find("id");
  if (id == it->end() || !id->is_number_integer()) return std::nullopt;
  action out;
  out.id = id->get<std::int64_t>();
  // The documented default status is in-progress.
  out.status = "in-progress";
  if (auto s = it->find("status"); s != it->end() && s->is_string())
    out.status = s->get<std::string>();
  if (auto t = it->find("type"); t != it->end() && t->is_string()) out.type = t->get<std::string>();
  return out;
}

api_error parse_error(std::string_view body, const std::vector<net::http_header>& headers) {
  api_error out;
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object()) {
    if (auto id = doc.find("id"); id != doc.end() && id->is_string())
      out.id = id->get<std::string>();
    if (auto m = doc.find("message"); m != doc.end() && m->is_string())
      out.message = m->get<std::string>();
    if (auto r = doc.find("request_id"); r != doc.end() && r->is_string())
      out.request_id = r->get<std::string>();
  }
  if (out.message.empty()) {
    std::string start(body.substr(0, 200));
    out.message = daemon::is_one_line_text(start) ? start : daemon::escape_one_line(start);
  } else if (!daemon::is_one_line_text(out.message)) {
    out.message = daemon::escape_one_line(out.message);
  }
  if (out.request_id.empty())
    out.request_id = net::find_header(headers, "x-request-id").value_or("");
  return out;
}

bool is_pending_event(int status, const api_error& error) {
  if (status != 422) return false;
  std::string lower = error.message;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("pending") != std::string::npos;
}

rate_limit parse_rate_limit(const std::vector<net::http_header>& headers) {
  rate_limit out;
  out.remaining = header_number(headers, "ratelimit-remaining");
  out.reset = header_number(headers, "ratelimit-reset");
  out.retry_after = header_number(headers, "retry-after");
  return out;
}

std::chrono::seconds rate_limit_wait(const rate_limit& limit, std::int64_t now_unix,
                                     std::chrono::seconds fallback) {
  if (limit.retry_after) return std::chrono::seconds(*limit.retry_after);
  if (limit.remaining && *limit.remaining == 0 && limit.reset)
    return std::chrono::seconds(std::max<std::int64_t>(0, *limit.reset - now_unix));
  return fallback;
}

std::string assign_body(std::int64_t droplet_id) {
  return json{{"type", "assign"}, {"droplet_id", droplet_id}}.dump();
}

}  // namespace bluegreen::traffic::digitalocean
