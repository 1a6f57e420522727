// chat_markup makes text from elsewhere (lock reasons, what hosts printed,
// user names) inert in a chat message: the notifier and the chat replies
// write the same escapes, so nothing quoted can mention everyone or become
// a link. The daemon's own markup (backticks, *bold*, its links) is added
// around the escaped text, never passed through these.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace bluegreen::daemon {

// Slack's control characters, <, > and &, as entities
// (api.slack.com/reference/surfaces/formatting#escaping): no <!channel>,
// <@U123> or <https://...|link> comes alive.
std::string slack_escaped(std::string_view text);

// Mattermost has no escape and no switch for mentions: a zero-width space
// after each '@' keeps "@channel", "@all" or "@alice" from notifying
// anybody.
std::string mattermost_mentions_broken(std::string_view text);

}  // namespace bluegreen::daemon
