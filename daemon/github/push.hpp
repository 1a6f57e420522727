// A GitHub push as the webhook's delivery says it: the fields that matter
// for a deploy. The API reads it from the delivery's JSON (api/github_push);
// github_service acts on it.
//
// A plain value.
#pragma once

#include <string>

namespace bluegreen::github {

struct push {
  std::string ref;         // "refs/heads/main", "refs/tags/v1"
  std::string after;       // the pushed commit: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits
  bool deleted = false;    // the ref was deleted (`deleted`, or `after` all zeros)
  std::string repository;  // repository.full_name, "owner/name"
  std::string pusher;      // pusher.name, else sender.login, else empty
};

}  // namespace bluegreen::github
