// What a GitHub webhook delivery says, read without acting on it: the JSON
// of a delivery from its body (application/json, or the `payload` field of
// an application/x-www-form-urlencoded body), the fields of a push that
// matter for a deploy, and which apps a push deploys (their [app.github]
// repository and branch) or why it deploys none. The route
// (api/github_routes) verifies, deduplicates and acts on it.
//
// Pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/result.hpp"

namespace bluegreen::daemon {
struct config;
}

namespace bluegreen::api {

// The JSON object a delivery carries. Failures: kind unsupported (code
// "unsupported_content_type") for a content type GitHub does not send, kind
// invalid (code "invalid_payload") for a form without `payload`, text that
// is not JSON, or JSON that is not an object.
daemon::result<nlohmann::json> github_payload(std::string_view content_type, std::string_view body);

struct github_push {
  std::string ref;         // "refs/heads/main", "refs/tags/v1"
  std::string after;       // the pushed commit: 40 (or 64) lower-case hex digits
  bool deleted = false;    // the ref was deleted (`deleted`, or `after` all zeros)
  std::string repository;  // repository.full_name, "owner/name"
  std::string pusher;      // pusher.name, else sender.login, else empty
};

// The push in `payload`. A missing required field (ref, after,
// repository.full_name) or a field of the wrong type is a failure (kind
// invalid, code "invalid_payload") naming the field.
daemon::result<github_push> parse_github_push(const nlohmann::json& payload);

// What a push does: deploy `after` to the idle colour of `apps`, or nothing
// for the reason in `ignored`.
struct push_plan {
  std::vector<std::string> apps;
  std::string ignored;  // empty when apps is not
};

// Apps whose [app.github] repository is the push's (without regard to
// case) and whose branch is the pushed one. Deleted refs, tags and other
// refs, other branches and other repositories deploy nothing.
push_plan plan_push(const github_push& push, const daemon::config& cfg);

}  // namespace bluegreen::api
