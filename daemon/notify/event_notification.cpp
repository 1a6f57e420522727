#include "daemon/notify/event_notification.hpp"

#include "daemon/utc_time.hpp"
#include "daemon/utf8.hpp"

namespace bluegreen::notify {

namespace {

using nlohmann::json;

// An error quoted in a message keeps its first characters: what hosts
// printed can be long, and the log has the rest.
constexpr std::size_t kErrorCharacters = 600;

std::string text_of(const json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::string quoted_error(std::string error) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < error.size(); ++i) {
    if ((static_cast<unsigned char>(error[i]) & 0xC0) != 0x80 && ++chars > kErrorCharacters) {
      error = error.substr(0, daemon::utf8::boundary_at_or_before(error, i)) + "…";
      break;
    }
  }
  while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
  return error;
}

// "main (1a2b3c4)", "1a2b3c4", or "main" before the ref is resolved.
std::string release_of(const json& op) {
  std::string ref = text_of(op, "ref");
  std::string sha = text_of(op, "sha").substr(0, 7);
  if (sha.empty()) return ref;
  if (ref.empty() || sha.starts_with(ref) || ref.starts_with(sha)) return sha;
  return ref + " (" + sha + ")";
}

// "by alice via slack"
std::string who_of(const json& op) {
  std::string actor = text_of(op, "actor");
  std::string channel = text_of(op, "channel");
  std::string out = "by " + (actor.empty() ? std::string("someone") : actor);
  if (!channel.empty()) out += " via " + channel;
  return out;
}

// How long the operation ran until `until` (its end, or the event's time).
std::optional<std::string> took(const json& op, std::string_view until) {
  auto started = daemon::parse_utc_text(text_of(op, "started_at"));
  auto ended = daemon::parse_utc_text(until);
  if (!started || !ended || *ended < *started) return std::nullopt;
  return human_duration(std::chrono::duration_cast<std::chrono::milliseconds>(*ended - *started));
}

std::string with_took(const json& op, std::string_view until, std::string_view word) {
  auto t = took(op, until);
  return t ? std::string(word) + " " + *t : std::string();
}

const json* change_of(const json& changes, std::string_view field) {
  for (const auto& c : changes)
    if (c.is_object() && c.value("field", "") == field) return &c;
  return nullptr;
}

notification operation_notification(const storage::event_record& e, const json& op,
                                    std::string event, std::string text,
                                    std::string_view public_url) {
  notification n;
  n.event = std::move(event);
  n.app = e.app.value_or(text_of(op, "app"));
  n.text = std::move(text);
  n.link = dashboard_link(public_url, n.app, op.value("id", std::int64_t{0}));
  n.operation = op;
  n.at = e.at;
  n.id = "event-" + std::to_string(e.id);
  return n;
}

std::optional<notification> of_deploy(const storage::event_record& e, const json& op,
                                      std::string_view public_url) {
  std::string app = text_of(op, "app");
  std::string number = "#" + std::to_string(op.value("id", std::int64_t{0}));
  std::string release = release_of(op);
  std::string colour = text_of(op, "colour");
  std::string state = text_of(op, "state");
  std::string finished_at = text_of(op, "finished_at");
  auto make = [&](std::string event, std::string text) {
    return operation_notification(e, op, std::move(event), std::move(text), public_url);
  };
  if (e.type == "operation.started") {
    std::string text = app + ": deploy " + number + " of " + release + " started";
    if (!colour.empty()) text += " on " + colour;
    return make("deploy.started", text + " " + who_of(op) + ".");
  }
  if (e.type == "operation.updated" && state == "ready") {
    std::string t = with_took(op, e.at, " in");
    return make("deploy.ready", app + ": deploy " + number + " of " + release + " is ready on " +
                                    colour + ": it passed its smoke checks" + t + ". Switch to " +
                                    colour + " when you are (" + who_of(op) + ").");
  }
  if (e.type != "operation.finished") return std::nullopt;
  if (state == "succeeded")
    return make("deploy.succeeded", app + ": deploy " + number + " of " + release +
                                        " succeeded: " + colour + " is live (" + who_of(op) +
                                        with_took(op, finished_at, ", took") + ").");
  std::string how = state == "cancelled"     ? "was cancelled"
                    : state == "interrupted" ? "was interrupted"
                                             : "failed";
  std::string text = app + ": deploy " + number + " of " + release + " " + how;
  if (auto t = took(op, finished_at)) text += " after " + *t;
  text += " (" + who_of(op) + ")";
  std::string error = quoted_error(text_of(op, "error"));
  text += error.empty() ? "." : ": " + error;
  return make("deploy.failed", text);
}

std::optional<notification> of_switch(const storage::event_record& e, const json& op,
                                      std::string_view public_url) {
  if (e.type != "operation.finished" || text_of(op, "state") != "succeeded") return std::nullopt;
  std::string detail = text_of(op, "detail");
  if (detail.empty()) detail = "to " + text_of(op, "colour");
  std::string text = text_of(op, "app") + ": traffic switched " + detail + " " + who_of(op) +
                     with_took(op, text_of(op, "finished_at"), ", took") + ".";
  return operation_notification(e, op, "switch", text, public_url);
}

std::optional<notification> of_rollback(const storage::event_record& e, const json& op,
                                        std::string_view public_url) {
  if (e.type != "operation.finished") return std::nullopt;
  std::string app = text_of(op, "app");
  std::string colour = text_of(op, "colour");
  std::string detail = text_of(op, "detail");
  bool ok = text_of(op, "state") == "succeeded";
  std::string error = quoted_error(text_of(op, "error"));
  std::string finished_at = text_of(op, "finished_at");
  if (text_of(op, "actor") == "watch" && text_of(op, "channel") == "system") {
    // The watch's detail is "after <reason> (operation #N)".
    std::string text = ok ? app + ": traffic was switched back to " + colour + " automatically"
                          : app + ": the automatic switch back to " + colour + " failed";
    if (!detail.empty()) text += " " + detail;
    if (!ok && !error.empty()) text += ": " + error;
    text +=
        ok ? with_took(op, finished_at, " (took") + (took(op, finished_at) ? ")" : "") + "." : ".";
    return operation_notification(e, op, "rollback.automatic", text, public_url);
  }
  std::string what = detail.empty() ? "to " + colour : detail;
  std::string text = ok ? app + ": rolled back " + what + " " + who_of(op) +
                              with_took(op, finished_at, ", took") + "."
                        : app + ": rollback " + what + " " + who_of(op) + " failed" +
                              (error.empty() ? "." : ": " + error);
  return operation_notification(e, op, "rollback", text, public_url);
}

std::optional<notification> of_app_change(const storage::event_record& e,
                                          std::string_view public_url) {
  json data = json::parse(e.data, nullptr, false);
  if (!data.is_object() || !data.contains("changes") || !data["changes"].is_array())
    return std::nullopt;
  const json& changes = data["changes"];
  std::string app = e.app.value_or("");
  notification n;
  n.app = app;
  n.link = dashboard_link(public_url, app, 0);
  n.operation = nullptr;
  n.at = e.at;
  n.id = "event-" + std::to_string(e.id);
  if (const json* drift = change_of(changes, "drifted")) {
    bool now = drift->value("new", false);
    bool before = drift->value("old", false);
    if (now && !before) {
      const json* reason = change_of(changes, "drift_reason");
      std::string why = reason && (*reason)["new"].is_string()
                            ? quoted_error((*reason)["new"].get<std::string>())
                            : std::string("no reason was recorded");
      n.event = "drift.detected";
      n.text = app + ": drift detected: " + why +
               ". Deploys and switches are refused until it is resolved.";
      return n;
    }
    if (before && !now) {
      n.event = "drift.resolved";
      n.text = app +
               ": drift resolved: the load balancer and what answers agree with the record "
               "again.";
      return n;
    }
  }
  if (const json* lock = change_of(changes, "manual_lock")) {
    const json& now = (*lock)["new"];
    const json& before = (*lock)["old"];
    if (now.is_object() && !before.is_object()) {
      std::string reason = now.contains("reason") && now["reason"].is_string()
                               ? quoted_error(now["reason"].get<std::string>())
                               : std::string();
      n.event = "lock";
      n.text = app + ": locked by " + text_of(now, "holder") +
               (reason.empty() ? std::string() : " (" + reason + ")") +
               ". Deploys, switches and tasks are refused until it is unlocked.";
      return n;
    }
    if (before.is_object() && !now.is_object()) {
      std::string reason = before.contains("reason") && before["reason"].is_string()
                               ? quoted_error(before["reason"].get<std::string>())
                               : std::string();
      n.event = "unlock";
      n.text = app + ": unlocked; it was locked by " + text_of(before, "holder") +
               (reason.empty() ? std::string() : " (" + reason + ")") + ".";
      return n;
    }
  }
  return std::nullopt;
}

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

}  // namespace

std::optional<notification> notification_for(const storage::event_record& event,
                                             std::string_view public_url) {
  if (event.type == "app.changed") return of_app_change(event, public_url);
  if (!event.type.starts_with("operation.")) return std::nullopt;
  json data = json::parse(event.data, nullptr, false);
  if (!data.is_object() || !data.contains("operation") || !data["operation"].is_object())
    return std::nullopt;
  const json& op = data["operation"];
  std::string kind = text_of(op, "kind");
  if (kind == "deploy") return of_deploy(event, op, public_url);
  if (kind == "switch") return of_switch(event, op, public_url);
  if (kind == "rollback") return of_rollback(event, op, public_url);
  return std::nullopt;
}

std::optional<std::string> dashboard_link(std::string_view public_url, std::string_view app,
                                          std::int64_t id) {
  if (public_url.empty()) return std::nullopt;
  std::string base(public_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string name;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : app) {
    if (unreserved(c)) {
      name += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      name += '%';
      name += kHex[byte >> 4];
      name += kHex[byte & 0xf];
    }
  }
  // The dashboard's routes are in the fragment (web-ui/app.js).
  std::string out = base + "/#/apps/" + name;
  if (id > 0) out += "/ops/" + std::to_string(id);
  return out;
}

std::string human_duration(std::chrono::milliseconds value) {
  using namespace std::chrono;
  auto ms = value.count();
  if (ms < 0) ms = 0;
  if (ms < 10'000) {
    // Tenths below ten seconds: "0.4s", "3.2s".
    auto tenths = (ms + 50) / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
  }
  auto s = (ms + 500) / 1000;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + (s % 60 ? std::to_string(s % 60) + "s" : "");
  if (s < 2 * 86400)
    return std::to_string(s / 3600) + "h" +
           (s % 3600 / 60 ? std::to_string(s % 3600 / 60) + "m" : "");
  return std::to_string(s / 86400) + " days";
}

bool changes_deploy_time(const storage::event_record& event) {
  if (event.type != "app.changed") return false;
  json data = json::parse(event.data, nullptr, false);
  if (!data.is_object() || !data.contains("changes") || !data["changes"].is_array()) return false;
  return change_of(data["changes"], "blue.deployed_at") ||
         change_of(data["changes"], "green.deployed_at");
}

}  // namespace bluegreen::notify
