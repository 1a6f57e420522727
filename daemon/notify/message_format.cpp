#include "daemon/notify/message_format.hpp"

#include "daemon/chat_markup.hpp"
#include "daemon/hmac_sha256.hpp"
#include "daemon/utf8.hpp"

namespace bluegreen::notify {

namespace {

using nlohmann::json;

std::string dumped(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::size_t characters(std::string_view valid) {
  std::size_t n = 0;
  for (char c : valid)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

std::string cut_to_characters(std::string_view text, std::size_t max_characters) {
  std::string valid = daemon::utf8::repair(text);
  if (characters(valid) <= max_characters) return valid;
  if (max_characters == 0) return {};
  // Keep max_characters - 1 characters and the ellipsis.
  std::size_t kept = 0;
  std::size_t at = 0;
  for (; at < valid.size(); ++at) {
    if ((static_cast<unsigned char>(valid[at]) & 0xC0) != 0x80) {
      if (kept == max_characters - 1) break;
      ++kept;
    }
  }
  return valid.substr(0, daemon::utf8::boundary_at_or_before(valid, at)) + "…";
}

std::string slack_body(const notification& n) {
  std::string link = n.link ? " <" + *n.link + "|view in the dashboard>" : std::string();
  std::string text = daemon::slack_escaped(daemon::utf8::repair(n.text));
  text = cut_to_characters(text, kSlackTextLimit - characters(link)) + link;
  return dumped({{"text", text}});
}

std::string mattermost_body(const notification& n) {
  std::string link = n.link ? " [view in the dashboard](" + *n.link + ")" : std::string();
  std::string text = daemon::mattermost_mentions_broken(daemon::utf8::repair(n.text));
  text = cut_to_characters(text, kMattermostTextLimit - characters(link)) + link;
  return dumped({{"text", text}, {"username", "bluegreen"}});
}

std::string discord_body(const notification& n) {
  // <url> keeps Discord from unfurling the dashboard into an embed.
  std::string link = n.link ? " <" + *n.link + ">" : std::string();
  std::size_t room =
      kDiscordContentLimit > characters(link) ? kDiscordContentLimit - characters(link) : 0;
  std::string content = cut_to_characters(n.text, room) + link;
  if (characters(content) > kDiscordContentLimit)
    content = cut_to_characters(content, kDiscordContentLimit);
  return dumped({{"content", content}, {"allowed_mentions", {{"parse", json::array()}}}});
}

std::string webhook_body(const notification& n) {
  std::string text = n.text;
  if (n.link) text += " " + *n.link;
  return dumped({{"event", n.event},
                 {"app", n.app},
                 {"text", text},
                 {"operation", n.operation.is_object() ? n.operation : json(nullptr)},
                 {"at", n.at},
                 {"id", n.id}});
}

std::string body_for(enum daemon::notify_target::kind kind, const notification& n) {
  switch (kind) {
    case daemon::notify_target::kind::slack:
      return slack_body(n);
    case daemon::notify_target::kind::mattermost:
      return mattermost_body(n);
    case daemon::notify_target::kind::discord:
      return discord_body(n);
    case daemon::notify_target::kind::webhook:
      return webhook_body(n);
  }
  return webhook_body(n);
}

std::string signature_of(std::string_view secret, std::string_view body) {
  return "sha256=" + daemon::hmac_sha256_hex(secret, body);
}

}  // namespace bluegreen::notify
