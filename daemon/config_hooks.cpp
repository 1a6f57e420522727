// The configuration of chat-ops, webhooks and notifications: [chat],
// [github], [outbound], [notify] and each app's [app.github] and
// [app.notify].
#include <algorithm>
#include <array>

#include "daemon/config_sections.hpp"
#include "daemon/net/address_policy.hpp"

namespace bluegreen::daemon {

namespace {

using namespace std::chrono_literals;

constexpr std::array kChatActions = {"deploy", "status", "switch", "rollback",
                                     "lock",   "unlock", "cancel"};

std::string joined(const auto& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// Reads `key` as a list whose every entry is one of `allowed` (or "*" when
// `star` is set), reporting the first entry that is not.
std::vector<std::string> read_choices(table_reader& r, std::string_view key, const auto& allowed,
                                      std::string_view expected) {
  auto values = r.strings(key, false, expected);
  if (!values) return {};
  for (const auto& v : *values) {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      r.error_at(key, "\"" + v + "\" is not one of: " + joined(allowed));
      return {};
    }
  }
  return *values;
}

// Why an entry of outbound.allow is not an IPv4 or IPv6 address, a network
// in CIDR form or a host name; nullopt when it is one. The address policy
// reads the entries with the same parser.
std::optional<std::string> is_allow_entry(std::string_view entry) {
  auto parsed = net::parse_allow_entry(entry);
  if (parsed.error.empty()) return std::nullopt;
  return parsed.error;
}

// "HH:MM" or "HH:MM:SS", local time of day.
std::optional<std::chrono::seconds> parse_time_of_day(std::string_view text) {
  if (text.size() != 5 && text.size() != 8) return std::nullopt;
  auto two = [&](size_t at) -> int {
    if (text[at] < '0' || text[at] > '9' || text[at + 1] < '0' || text[at + 1] > '9') return -1;
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
  };
  int h = two(0), m = two(3), s = text.size() == 8 ? two(6) : 0;
  if (text[2] != ':' || (text.size() == 8 && text[5] != ':')) return std::nullopt;
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59) return std::nullopt;
  return std::chrono::seconds(h * 3600 + m * 60 + s);
}

void read_chat_rule(error_sink& sink, const toml::table& t, const std::string& path,
                    chat_rule& out) {
  table_reader r(sink, t, path);
  constexpr std::string_view kPlatforms = "\"slack\" or \"mattermost\", the chat the rule is for";
  if (auto platform = r.string("platform", true, kPlatforms)) {
    if (*platform == "slack" || *platform == "mattermost")
      out.platform = *platform;
    else
      r.error_at("platform",
                 "\"" + *platform + "\" is not a chat: expected " + std::string(kPlatforms));
  }
  if (auto teams = r.strings("teams", false, "a list of Slack workspace or Mattermost team ids"))
    out.teams = *teams;
  if (auto users = r.strings("users", true, "a list of user ids, or [\"*\"] for anyone"))
    out.users = *users;
  out.actions = read_choices(r, "actions", kChatActions, "a list of actions");
  if (auto apps = r.strings("apps", false, "a list of app names, or [\"*\"]")) out.apps = *apps;
  r.finish();
}

void read_chat(error_sink& sink, const toml::table& t, chat_config& out) {
  table_reader r(sink, t, "chat");
  if (auto slack = r.subtable("slack", false, "a table [chat.slack] with signing_secret")) {
    table_reader s(sink, *slack, "chat.slack");
    out.slack_signing_secret = s.secret("signing_secret", true);
    s.finish();
  }
  if (auto mm = r.subtable("mattermost", false, "a table [chat.mattermost] with token")) {
    table_reader m(sink, *mm, "chat.mattermost");
    out.mattermost_token = m.secret("token", true);
    m.finish();
  }
  if (const toml::node* allow = r.node("allow", false, "[[chat.allow]] tables")) {
    const toml::array* arr = allow->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      r.error_at("allow", "expected [[chat.allow]] tables, one per rule");
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        chat_rule rule;
        read_chat_rule(sink, *arr->get(i)->as_table(), "chat.allow[" + std::to_string(i) + "]",
                       rule);
        out.allow.push_back(std::move(rule));
      }
    }
  }
  r.finish();
}

void read_github(error_sink& sink, const toml::table& t, github_config& out) {
  table_reader r(sink, t, "github");
  out.secret = r.secret("secret", true);
  if (auto limit = r.integer("max_body_bytes", false, 1024, 25 * 1024 * 1024))
    out.max_body_bytes = static_cast<std::size_t>(*limit);
  r.finish();
}

void read_outbound(error_sink& sink, const toml::table& t, outbound_config& out) {
  table_reader r(sink, t, "outbound");
  if (auto allow = r.strings("allow", false, "a list of host names, addresses and networks")) {
    for (const auto& entry : *allow) {
      if (auto why = is_allow_entry(entry)) {
        r.error_at("allow", *why);
        return;
      }
    }
    out.allow = *allow;
  }
  r.finish();
}

constexpr std::array kNotifyEvents = {
    "deploy.started", "deploy.ready",   "deploy.succeeded", "deploy.failed",
    "switch",         "rollback",       "rollback.automatic", "drift.detected",
    "drift.resolved", "lock",           "unlock",           "not_deployed"};

void read_notify_target(error_sink& sink, const toml::table& t, const std::string& path,
                        notify_target& out) {
  table_reader r(sink, t, path);
  if (auto name = r.string("name", true, "the target's name, e.g. \"team-slack\"")) {
    if (!is_name(*name, 63))
      r.error_at("name", "\"" + *name +
                             "\" is not a name: use 1 to 63 lower-case letters, digits, '-' and "
                             "'_', starting with a letter or digit");
    out.name = *name;
  }
  constexpr std::string_view kKinds = "\"slack\", \"mattermost\", \"discord\" or \"webhook\"";
  if (auto kind = r.string("kind", true, kKinds)) {
    if (*kind == "slack") out.kind = notify_target::kind::slack;
    else if (*kind == "mattermost") out.kind = notify_target::kind::mattermost;
    else if (*kind == "discord") out.kind = notify_target::kind::discord;
    else if (*kind == "webhook") out.kind = notify_target::kind::webhook;
    else r.error_at("kind", "\"" + *kind + "\" is not a kind: expected " + std::string(kKinds));
  }
  if (auto url = r.secret("url", true)) out.url = *url;
  out.secret = r.secret("secret", false);
  if (out.secret && out.kind != notify_target::kind::webhook)
    r.error_at("secret", "only a \"webhook\" target signs its messages");
  out.events = read_choices(r, "events", kNotifyEvents, "a list of event names");
  if (auto apps = r.strings("apps", false, "a list of app names")) out.apps = *apps;
  r.finish();
}

void read_notify(error_sink& sink, const toml::table& t, notify_config& out) {
  table_reader r(sink, t, "notify");
  if (auto at = r.string("not_deployed_at", false, "a local time of day such as \"09:00\"")) {
    if (auto parsed = parse_time_of_day(*at))
      out.not_deployed_at = *parsed;
    else
      r.error_at("not_deployed_at",
                 "\"" + *at + "\" is not a time of day: expected \"HH:MM\" such as \"09:00\"");
  }
  if (const toml::node* targets = r.node("target", false, "[[notify.target]] tables")) {
    const toml::array* arr = targets->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      r.error_at("target", "expected [[notify.target]] tables, one per target");
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        notify_target target;
        std::string path = "notify.target[" + std::to_string(i) + "]";
        read_notify_target(sink, *arr->get(i)->as_table(), path, target);
        for (const auto& other : out.targets)
          if (!target.name.empty() && other.name == target.name)
            sink.add(arr->get(i)->source(), path + ".name",
                     "target \"" + target.name + "\" is defined twice");
        out.targets.push_back(std::move(target));
      }
    }
  }
  r.finish();
}

// Every app a rule or target names must exist: a typo would otherwise
// silently allow or notify nothing.
void check_app_names(error_sink& sink, const toml::table& root, const config& cfg) {
  auto check = [&](const std::vector<std::string>& apps, const std::string& path) {
    for (const auto& a : apps) {
      if (a == "*" || cfg.find_app(a)) continue;
      const toml::node* where = root.at_path(path).node();
      sink.add(where ? where->source() : root.source(), path,
               "no app is named \"" + a + "\"");
    }
  };
  for (size_t i = 0; i < cfg.chat.allow.size(); ++i)
    check(cfg.chat.allow[i].apps, "chat.allow[" + std::to_string(i) + "].apps");
  for (size_t i = 0; i < cfg.notify.targets.size(); ++i)
    check(cfg.notify.targets[i].apps, "notify.target[" + std::to_string(i) + "].apps");
}

}  // namespace

void read_hooks_sections(error_sink& sink, const toml::table& root, table_reader& r,
                         config& cfg) {
  if (auto chat = r.subtable("chat", false, "a table [chat]")) read_chat(sink, *chat, cfg.chat);
  if (auto github = r.subtable("github", false, "a table [github] with secret"))
    read_github(sink, *github, cfg.github);
  if (auto outbound = r.subtable("outbound", false, "a table [outbound]"))
    read_outbound(sink, *outbound, cfg.outbound);
  if (auto notify = r.subtable("notify", false, "a table [notify]"))
    read_notify(sink, *notify, cfg.notify);
  check_app_names(sink, root, cfg);
}

void read_app_hooks(table_reader& r, error_sink& sink, app_config& out) {
  if (auto gh = r.subtable("github", false, "a table [app.github] with repository")) {
    table_reader g(sink, *gh, r.key_path("github"));
    app_github_config github;
    if (auto repo = g.text("repository", true, "a repository as \"owner/name\"")) {
      auto slash = repo->find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == repo->size() ||
          repo->find('/', slash + 1) != std::string::npos)
        g.error_at("repository", "\"" + *repo + "\" is not \"owner/name\"");
      github.repository = *repo;
    }
    github.branch = g.text("branch", false, "a branch name such as \"main\"")
                        .value_or(out.deploy.default_ref);
    g.finish();
    out.github = std::move(github);
  }
  if (auto notify = r.subtable("notify", false, "a table [app.notify]")) {
    table_reader n(sink, *notify, r.key_path("notify"));
    milliseconds after{0};
    n.duration("not_deployed_for", after, false, std::chrono::hours(24 * 3650));
    if (after.count() > 0) out.notify.not_deployed_for = after;
    n.finish();
  }
}

}  // namespace bluegreen::daemon
