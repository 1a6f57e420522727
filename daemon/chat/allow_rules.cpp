#include "daemon/chat/allow_rules.hpp"

#include <algorithm>
#include <cstdio>

namespace bluegreen::chat {

namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// `text` as a TOML basic string.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", byte);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

bool allows(const std::vector<daemon::chat_rule>& rules, platform chat, const caller& who, action a,
            std::string_view app) {
  if (a == action::help) return true;
  std::string_view name = action_name(a);
  return std::any_of(rules.begin(), rules.end(), [&](const daemon::chat_rule& r) {
    return r.platform == channel_of(chat) && (r.teams.empty() || contains(r.teams, who.team_id)) &&
           (contains(r.users, "*") || contains(r.users, who.user_id)) &&
           (r.actions.empty() || contains(r.actions, name)) &&
           (r.apps.empty() || contains(r.apps, "*") || contains(r.apps, app));
  });
}

std::optional<std::string> refusal(const std::vector<daemon::chat_rule>& rules, platform chat,
                                   const caller& who, action a, std::string_view app) {
  if (allows(rules, chat, who, a, app)) return std::nullopt;
  std::string what = std::string(action_name(a)) + " " +
                     (app.empty() ? std::string("every app") : std::string(app));
  std::string why =
      rules.empty() ? "no [[chat.allow]] rule is configured, so chat commands other than help "
                      "are refused"
                    : "no [[chat.allow]] rule for " + std::string(channel_of(chat)) + " allows it";
  return "Not allowed: " + std::string(channel_of(chat)) + " user " + who.user_id + " (" +
         who.user_name + ") of team " + who.team_id + " may not " + what + ": " + why +
         ". To allow it, the daemon's operator adds a rule like this to its configuration and "
         "reloads it (systemctl reload bluegreend):\n```\n[[chat.allow]]\nplatform = " +
         toml_string(channel_of(chat)) + "\nteams = [" + toml_string(who.team_id) + "]\nusers = [" +
         toml_string(who.user_id) + "]\nactions = [" + toml_string(action_name(a)) + "]\napps = [" +
         toml_string(app.empty() ? std::string_view("*") : app) + "]\n```";
}

}  // namespace bluegreen::chat
