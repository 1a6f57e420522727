// What a GitHub webhook delivery says, read without acting on it: the JSON
// of a delivery from its body (application/json, or the `payload` field of
// an application/x-www-form-urlencoded body) and the fields of a push that
// matter for a deploy. The route (api/github_routes) verifies it and hands
// the push to github::github_service.
//
// Pure functions.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/github/push.hpp"
#include "daemon/result.hpp"

namespace bluegreen::api {

// How deeply a delivery's JSON may nest; a push nests 3 or 4 levels.
inline constexpr std::size_t kMaxPayloadDepth = 64;

// The JSON object a delivery carries. Failures: kind unsupported (code
// "unsupported_content_type") for a content type GitHub does not send, kind
// invalid (code "invalid_payload") for a form without `payload`, text that
// is not JSON or nests deeper than kMaxPayloadDepth, or JSON that is not an object.
daemon::result<nlohmann::json> github_payload(std::string_view content_type, std::string_view body);

// The push in `payload`. A missing required field (ref, after,
// repository.full_name) or a field of the wrong type is a failure (kind
// invalid, code "invalid_payload") naming the field.
daemon::result<github::push> parse_github_push(const nlohmann::json& payload);

}  // namespace bluegreen::api
