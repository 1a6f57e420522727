// message_format puts a notification in each target's format: a Slack
// incoming webhook's {"text"}, a Mattermost incoming webhook's {"text",
// "username"}, a Discord webhook's {"content", "allowed_mentions"} (content
// within Discord's 2,000 characters), and the generic webhook's JSON
// ({"event", "app", "text", "operation", "at", "id"}) with its signature.
// Every body is valid JSON whatever bytes the text holds (invalid UTF-8
// becomes U+FFFD), and no text can mention everyone: Slack's control
// sequences are escaped, Mattermost's @-mentions broken, Discord's
// mentions disabled.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/config.hpp"
#include "daemon/notify/notification.hpp"

namespace bluegreen::notify {

// Discord refuses a message whose content is longer than this (characters).
constexpr std::size_t kDiscordContentLimit = 2000;
// Slack shows at most 40,000 characters of a message's text; Mattermost
// refuses posts over 16,383.
constexpr std::size_t kSlackTextLimit = 40000;
constexpr std::size_t kMattermostTextLimit = 16383;

constexpr std::string_view kSignatureHeader = "X-Bluegreen-Signature-256";
constexpr std::string_view kEventHeader = "X-Bluegreen-Event";

std::string slack_body(const notification& n);
std::string mattermost_body(const notification& n);
std::string discord_body(const notification& n);
std::string webhook_body(const notification& n);
// The body for a target of `kind`.
std::string body_for(enum daemon::notify_target::kind kind, const notification& n);

// "sha256=" and the hex HMAC-SHA256 of `body` under `secret`: the value of
// X-Bluegreen-Signature-256.
std::string signature_of(std::string_view secret, std::string_view body);

// `text` (repaired to valid UTF-8) cut to at most `max_characters` code
// points, ending in "…" when it was cut; never inside a character.
std::string cut_to_characters(std::string_view text, std::size_t max_characters);

}  // namespace bluegreen::notify
