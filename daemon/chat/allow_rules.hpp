// allow_rules decides who may do what from chat, from the configuration's
// [[chat.allow]] rules: a command is allowed when one rule is for the
// caller's chat (its platform: a Mattermost caller's ids are only fields
// anyone with the token sets, so they never match a Slack rule), names the
// caller's team (or names no team), the caller's user id (or "*"), the
// action (or names no actions) and the app (or names no apps, or "*").
// `help` is always allowed; with no rules nothing else is. A refusal says
// who was refused what, and the rule the operator would add to allow it.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/chat/command.hpp"
#include "daemon/chat/platform.hpp"
#include "daemon/config.hpp"

namespace bluegreen::chat {

// Who sent a command, as the chat says.
struct caller {
  std::string team_id;
  std::string user_id;
  std::string user_name;
};

bool allows(const std::vector<daemon::chat_rule>& rules, platform chat, const caller& who, action a,
            std::string_view app);

// nullopt when allowed; otherwise why not, for the caller, with the rule
// that would allow it. An empty `app` is every app (status without one).
std::optional<std::string> refusal(const std::vector<daemon::chat_rule>& rules, platform chat,
                                   const caller& who, action a, std::string_view app);

}  // namespace bluegreen::chat
