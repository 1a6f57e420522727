// replies are what chat is told: the answer to a slash command (in the
// channel, or only to the one who asked) and the texts of an operation's
// acceptance, progress and end, of an app's status, as JSON bodies in the
// format Slack and Mattermost both read ({"response_type", "text"}). Texts
// hold what hosts printed (a failed step's error), so the JSON written
// replaces invalid UTF-8 and never fails. The texts hold no markup of
// their own that uses &, <, > or @, so the whole text is made inert for
// the chat it goes to: Slack's control characters escaped, Mattermost's
// @-mentions broken (daemon/chat_markup.hpp), and a lock reason or an
// error cannot ping the channel or show a link.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/chat/platform.hpp"
#include "daemon/engine/engine.hpp"
#include "storage/operation_repository.hpp"

namespace bluegreen::chat {

struct reply {
  bool in_channel = false;  // false: ephemeral, only the one who asked sees it
  std::string text;

  bool operator==(const reply&) const = default;
};

// {"response_type":"in_channel"|"ephemeral","text":"..."}, the text made
// inert for `chat`.
std::string reply_json(const reply& r, platform chat);

// "Deploying demo main to green (operation 12) — asked by alice".
// `target`, when given, says where a switch sends the traffic instead of
// the operation's colour (a split: "blue 90%, green 10%").
std::string accepted_text(const storage::operation_record& op, std::string_view asked_by,
                          std::string_view target = {});

// What the operation's new state tells the channel (nothing for a state
// that says nothing new, such as running); `slash` is the command as the
// chat calls it, for the next step ("/deploy switch demo").
std::optional<std::string> progress_text(const storage::operation_record& op,
                                         std::string_view slash, std::string_view target = {});

// One app's state: its live colour (or split), what each colour runs, its
// locks, drift and recovery.
std::string status_text(const engine::app_view& view);

}  // namespace bluegreen::chat
