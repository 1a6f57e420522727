// The JSON bodies of the mutating routes (deploy, switch, rollback, lock,
// task, cancel): an object with only the keys a route takes, and the typed
// fields inside it. On a bad body each function returns nullopt and sets
// `error` to the 400 to answer. Pure functions, kept apart from the handlers
// so that they can be tested and fuzzed without an engine.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "api/http_message.hpp"
#include "daemon/colour.hpp"
#include "daemon/traffic/routing.hpp"

namespace bluegreen::api {

// Parses a JSON object body that may hold only `allowed` keys. An empty body
// is an empty object.
std::optional<nlohmann::json> object_body(const request& req,
                                          std::initializer_list<std::string_view> allowed,
                                          response& error);

// An optional boolean field; absent is false.
std::optional<bool> optional_bool(const nlohmann::json& body, const char* key, response& error);

// An optional "blue" or "green" field; absent is an empty colour.
std::optional<std::optional<daemon::colour>> optional_colour(const nlohmann::json& body,
                                                             const char* key, response& error);

// {"green": 10} or {"blue": 90, "green": 10}: percent per colour.
std::optional<traffic::routing> parse_weights(const nlohmann::json& value, response& error);

}  // namespace bluegreen::api
