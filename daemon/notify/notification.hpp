// notification is what the team is told, before it is put in a target's
// format: which event (deploy.ready, switch, not_deployed, ...), the app,
// what happened in words, a link to the dashboard's view, the operation as
// the event stream reported it, when, and an id a receiver can use to
// recognise a retried delivery.
//
// Thread-safety: a plain value.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace bluegreen::notify {

struct notification {
  std::string event;  // a name of [[notify.target]] events
  std::string app;
  std::string text;                 // one or two sentences, without the link
  std::optional<std::string> link;  // the dashboard's view of the operation (or app)
  nlohmann::json operation;         // the operation's fields; null when there is none
  std::string at;                   // UTC, as the state database writes times
  std::string id;                   // "event-42", "not_deployed-web-2026-11-30T08:00:00.000Z"
};

}  // namespace bluegreen::notify
