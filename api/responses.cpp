#include "api/responses.hpp"

#include <nlohmann/json.hpp>

#include "api/error_response.hpp"
#include "api/json_text.hpp"
#include "api/json_views.hpp"

namespace bluegreen::api {

using nlohmann::json;

response json_response(int status, const json& body) {
  response r;
  r.status = status;
  r.body = json_text(body) + "\n";
  return r;
}

response accepted(const storage::operation_record& op) {
  response r = json_response(202, {{"operation", operation_json(op)}});
  r.headers.emplace_back("Location", "/api/v1/deployments/" + std::to_string(op.id));
  return r;
}

int status_of(daemon::failure::kind kind) {
  switch (kind) {
    case daemon::failure::kind::invalid:
      return 400;
    case daemon::failure::kind::not_found:
      return 404;
    case daemon::failure::kind::conflict:
      return 409;
    case daemon::failure::kind::unsupported:
      return 422;
    case daemon::failure::kind::unavailable:
      return 503;
    default:
      return 500;
  }
}

response failure_response(const daemon::failure& f) {
  auto r = error_response(status_of(f.what), f.code, f.message);
  // What is unavailable now (an app still recovering) is soon available.
  if (r.status == 503) r.headers.emplace_back("Retry-After", "5");
  return r;
}

namespace {

// 1 to 18 decimal digits (no sign, no spaces): always fits an int64.
std::optional<std::int64_t> small_decimal(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<std::int64_t> int_param(const std::map<std::string, std::string>& query,
                                      const std::string& name, std::int64_t fallback,
                                      std::int64_t min, std::int64_t max, response& error) {
  auto it = query.find(name);
  if (it == query.end()) return fallback;
  auto value = small_decimal(it->second);
  if (!value || *value < min || *value > max) {
    error = error_response(400, "invalid_parameter",
                           "query parameter '" + name + "' must be an integer from " +
                               std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> id_param(const call_context& ctx, response& error) {
  const std::string& text = ctx.params.at("id");
  auto value = small_decimal(text);
  if (!value) error = error_response(404, "unknown_operation", "no operation \"" + text + "\"");
  return value;
}

}  // namespace bluegreen::api
