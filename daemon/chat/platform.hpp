// platform is the chat a command came from, and goes back to: Slack or
// Mattermost. It decides which [[chat.allow]] rules apply and how text
// quoted in a reply is made inert.
//
// Thread-safety: a value type.
#pragma once

#include <string_view>

namespace bluegreen::chat {

enum class platform { slack, mattermost };

// "slack" or "mattermost": the audit log's channel and a rule's platform.
inline std::string_view channel_of(platform p) {
  return p == platform::slack ? "slack" : "mattermost";
}

}  // namespace bluegreen::chat
