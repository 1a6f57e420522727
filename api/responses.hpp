// Responses the API's handlers share: JSON bodies, 202 for an accepted
// operation, an engine failure as its HTTP status, query and path
// parameters read with a refusal that says what is allowed. Pure functions
// over plain values.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "api/http_message.hpp"
#include "api/router.hpp"
#include "daemon/result.hpp"
#include "storage/operation_repository.hpp"

namespace bluegreen::api {

response json_response(int status, const nlohmann::json& body);
// An accepted asynchronous operation: 202 with where to follow it.
response accepted(const storage::operation_record& op);
// 400, 404, 409, 422, 503 (with Retry-After) or 500 by the failure's kind.
int status_of(daemon::failure::kind kind);
response failure_response(const daemon::failure& f);
// Reads an integer query parameter within [min, max]; `fallback` when absent.
std::optional<std::int64_t> int_param(const std::map<std::string, std::string>& query,
                                      const std::string& name, std::int64_t fallback,
                                      std::int64_t min, std::int64_t max, response& error);
// The {id} of an operation's path; 404 when it cannot be one.
std::optional<std::int64_t> id_param(const call_context& ctx, response& error);

}  // namespace bluegreen::api
