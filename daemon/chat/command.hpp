// command reads the text of a chat slash command ("/deploy demo main" gives
// the text "demo main") into what it asks for: deploy an app (a ref, or
// the app's default), the status of one app or all, a switch (whole, to a
// named colour, or a weighted split "green=10"), a rollback, a lock with
// its reason, an unlock, a cancel, or help. Words are separated by any
// white space (a no-break space too, which phones type); keywords are read
// in any case. Text that asks for nothing known, or is malformed, is a
// failure that says what was wrong; the reply adds usage().
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/colour.hpp"
#include "daemon/result.hpp"
#include "daemon/traffic/routing.hpp"

namespace bluegreen::chat {

enum class action { deploy, status, switch_traffic, rollback, lock, unlock, cancel, help };

// The name used in the configuration's [[chat.allow]] actions ("switch").
std::string_view action_name(action a);

struct command {
  enum action action = action::help;
  std::string app;                          // empty: help, or the status of every app
  std::optional<std::string> ref;           // deploy; unset: the app's deploy.default_ref
  std::optional<daemon::colour> to;         // switch to this colour
  std::optional<traffic::routing> weights;  // switch to this split ("green=10")
  std::string reason;                       // lock

  bool operator==(const command&) const = default;
};

daemon::result<command> parse_command(std::string_view text);

// What the commands are, for a reply; `slash` is the command as the chat
// calls it ("/deploy").
std::string usage(std::string_view slash);

// Slack sends '&', '<' and '>' of the text as "&amp;", "&lt;", "&gt;".
std::string unescape_slack(std::string_view text);

}  // namespace bluegreen::chat
