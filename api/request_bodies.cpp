#include "api/request_bodies.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "api/error_response.hpp"

namespace bluegreen::api {

using nlohmann::json;

std::optional<json> object_body(const request& req, std::initializer_list<std::string_view> allowed,
                                response& error) {
  if (req.body.empty()) return json::object();
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    error = error_response(400, "invalid_json", "the request body is not valid JSON");
    return std::nullopt;
  }
  if (!body.is_object()) {
    error = error_response(400, "invalid_json", "the request body must be a JSON object");
    return std::nullopt;
  }
  for (const auto& [key, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      error = error_response(400, "unknown_field",
                             "unknown field \"" + key + "\"; this request takes: " +
                                 (list.empty() ? std::string("no fields") : list));
      return std::nullopt;
    }
  }
  return body;
}

std::optional<bool> optional_bool(const json& body, const char* key, response& error) {
  auto it = body.find(key);
  if (it == body.end()) return false;
  if (!it->is_boolean()) {
    error =
        error_response(400, "invalid_field", std::string("\"") + key + "\" must be true or false");
    return std::nullopt;
  }
  return it->get<bool>();
}

std::optional<std::optional<daemon::colour>> optional_colour(const json& body, const char* key,
                                                             response& error) {
  auto it = body.find(key);
  if (it == body.end()) return std::optional<daemon::colour>();
  auto c = it->is_string() ? daemon::parse_colour(it->get<std::string>()) : std::nullopt;
  if (!c) {
    error = error_response(400, "invalid_field",
                           std::string("\"") + key + "\" must be \"blue\" or \"green\"");
    return std::nullopt;
  }
  return std::optional<daemon::colour>(c);
}

std::optional<traffic::routing> parse_weights(const json& value, response& error) {
  auto bad = [&](const std::string& why) {
    error = error_response(400, "invalid_weights",
                           why + "; send e.g. {\"weights\": {\"green\": 10}} for 10% to green");
    return std::nullopt;
  };
  if (!value.is_object() || value.empty() || value.size() > 2)
    return bad("weights must be an object of one or two colours");
  traffic::routing r;
  int total = 0;
  for (const auto& [key, share] : value.items()) {
    auto c = daemon::parse_colour(key);
    if (!c) return bad("\"" + key + "\" is not a colour");
    // Compared as 64-bit values: get<int>() would wrap 4294967306 to 10.
    std::int64_t signed_value = share.is_number_integer() ? share.get<std::int64_t>() : -1;
    bool in_range = share.is_number_unsigned() ? share.get<std::uint64_t>() <= 100
                                               : signed_value >= 0 && signed_value <= 100;
    if (!in_range) return bad("a weight is a whole percent from 0 to 100");
    int percent = static_cast<int>(share.get<std::int64_t>());
    if (percent > 0) r.weights[*c] = percent;
    total += percent;
  }
  if (value.size() == 1) {
    auto only = daemon::parse_colour(value.begin().key());
    int rest = 100 - total;
    if (rest > 0) r.weights[daemon::other(*only)] = rest;
    total = 100;
  }
  if (total != 100) return bad("the weights must add up to 100");
  return r;
}

}  // namespace bluegreen::api
