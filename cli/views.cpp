#include "cli/views.hpp"

namespace bluegreen::cli {

using nlohmann::json;

namespace {

std::string text_of(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "";
  const auto& value = object.at(key);
  if (value.is_string()) return sanitise(value.get<std::string>());
  if (value.is_null()) return "";
  return sanitise(value.dump());
}

std::string or_dash(std::string text) { return text.empty() ? "-" : text; }

std::string short_sha(const std::string& sha) { return sha.substr(0, 7); }

// A colour's release and health: "main@8d2e4b6, ok"; "not deployed, ok"
// for a colour that bluegreend has not deployed to.
std::string release_cell(const json& colour, const style& paint) {
  if (!colour.is_object()) return "-";
  std::string ref = text_of(colour, "ref");
  std::string sha = text_of(colour, "sha");
  std::string out = ref.empty() ? "not deployed" : ref + (sha.empty() ? "" : "@" + short_sha(sha));
  if (colour.value("verified", true) == false && !ref.empty()) out += " (unverified)";
  std::string health = text_of(colour, "health");
  if (!health.empty()) out += ", " + paint.word(health);
  return out;
}

std::string lock_cell(const json& locks) {
  if (!locks.is_object()) return "-";
  if (locks.contains("manual") && locks["manual"].is_object()) {
    const auto& lock = locks["manual"];
    return text_of(lock, "holder") + ": " + text_of(lock, "reason");
  }
  if (locks.contains("operation") && locks["operation"].is_object())
    return text_of(locks["operation"], "holder");
  return "-";
}

std::string last_deploy(const json& app, clock_time now) {
  std::string newest;
  for (const char* colour : {"blue", "green"})
    if (app.contains(colour) && app[colour].is_object()) {
      auto at = text_of(app[colour], "deployed_at");
      if (at > newest) newest = at;
    }
  return newest.empty() ? "-" : relative_time(newest, now);
}

// From start to end, or to `now` for one that has not ended (a ready deploy).
std::string elapsed(const json& op, std::optional<clock_time> now = std::nullopt) {
  auto started = parse_utc(text_of(op, "started_at"));
  auto finished = parse_utc(text_of(op, "finished_at"));
  if (!finished) finished = now;
  if (!started || !finished) return "";
  return duration_text(std::chrono::duration_cast<std::chrono::milliseconds>(*finished - *started));
}

}  // namespace

std::string cell(const json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return or_dash(sanitise(value.get<std::string>()));
  return sanitise(value.dump());
}

std::string apps_view(const json& body, const style& paint, clock_time now) {
  std::vector<std::vector<std::string>> rows = {
      {"APP", "LIVE", "ROUTING", "BLUE", "GREEN", "DEPLOYED", "LOCK", "NOTE"}};
  for (const auto& app : body.value("apps", json::array())) {
    std::string note;
    if (app.value("drifted", false))
      note = paint("drifted: ", tint::red) + text_of(app, "drift_reason");
    else if (app.value("recovering", false))
      note = "recovering";
    std::string live = text_of(app, "live");
    rows.push_back({text_of(app, "name"), live.empty() ? "-" : paint.word(live),
                    or_dash(text_of(app, "routing")),
                    release_cell(app.value("blue", json()), paint),
                    release_cell(app.value("green", json()), paint), last_deploy(app, now),
                    lock_cell(app.value("locks", json())), or_dash(note)});
  }
  if (rows.size() == 1) return "no apps configured\n";
  return table(rows);
}

std::string app_view(const json& app, const style& paint, clock_time now) {
  std::string live = text_of(app, "live");
  std::string previous = text_of(app, "previous_live");
  std::vector<std::vector<std::string>> facts = {
      {"app", text_of(app, "name") + "  " + text_of(app, "public_url")},
      {"live", (live.empty() ? std::string("unknown") : paint.word(live)) + " (" +
                   or_dash(text_of(app, "routing")) + ")"},
      {"previous", previous.empty() ? "- (nothing to roll back to)" : paint.word(previous)},
      {"backend",
       or_dash(text_of(app, "backend")) + ", promote " + or_dash(text_of(app, "promote_mode"))},
      {"lock", lock_cell(app.value("locks", json()))},
  };
  if (app.value("drifted", false))
    facts.push_back({"drifted", paint("yes", tint::red) + ": " + text_of(app, "drift_reason")});
  if (app.value("recovering", false)) facts.push_back({"recovering", "yes"});
  if (app.contains("reality") && app["reality"].is_object()) {
    const auto& reality = app["reality"];
    std::string seen = text_of(reality, "seen_at");
    std::string text = or_dash(text_of(reality, "routing"));
    std::string identity = text_of(reality, "identity");
    if (!identity.empty()) text += ", answers " + paint.word(identity);
    std::string error = text_of(reality, "error");
    if (!error.empty()) text += ", " + error;
    text += seen.empty() ? ", not looked yet" : ", seen " + relative_time(seen, now);
    facts.push_back({"reality", text});
  }
  std::string out = table(facts) + "\n";
  std::vector<std::vector<std::string>> colours = {
      {"COLOUR", "URL", "REF", "SHA", "DEPLOYED", "BY", "VERIFIED", "HEALTH"}};
  for (const char* name : {"blue", "green"}) {
    const json colour = app.value(name, json::object());
    std::string health = text_of(colour, "health");
    std::string checked = text_of(colour, "health_checked_at");
    colours.push_back(
        {paint.word(name) + (live == name ? " (live)" : ""), or_dash(text_of(colour, "url")),
         or_dash(text_of(colour, "ref")), or_dash(short_sha(text_of(colour, "sha"))),
         relative_time(text_of(colour, "deployed_at"), now),
         or_dash(text_of(colour, "deployed_by")), colour.value("verified", false) ? "yes" : "no",
         health.empty()
             ? "-"
             : paint.word(health) +
                   (checked.empty() ? "" : " (checked " + relative_time(checked, now) + ")")});
  }
  return out + table(colours);
}

std::string operations_view(const json& operations, const style& paint, clock_time now) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "APP", "KIND", "COLOUR", "REF", "STATE", "BY", "STARTED", "TOOK", "ERROR"}};
  for (const auto& op : operations) {
    std::string what = text_of(op, "kind") == "task" ? text_of(op, "task") : text_of(op, "ref");
    std::string colour = text_of(op, "colour");
    rows.push_back({"#" + text_of(op, "id"), text_of(op, "app"), text_of(op, "kind"),
                    colour.empty() ? "-" : paint.word(colour), or_dash(what),
                    paint.word(text_of(op, "state")), or_dash(text_of(op, "actor")),
                    relative_time(text_of(op, "started_at"), now), or_dash(elapsed(op)),
                    or_dash(text_of(op, "error"))});
  }
  if (rows.size() == 1) return "no operations yet\n";
  return table(rows);
}

std::string operation_summary(const json& op, const style& paint) {
  std::string kind = text_of(op, "kind");
  std::string colour = text_of(op, "colour");
  std::string out = kind + " #" + text_of(op, "id") + " of " + text_of(op, "app");
  if (kind == "deploy")
    out += ": " + text_of(op, "ref") + " to " + or_dash(paint.word(colour));
  else if (kind == "task")
    out += ": " + text_of(op, "task") + " on " + or_dash(paint.word(colour));
  else if (!colour.empty())
    out += ": to " + paint.word(colour);
  out += ", by " + text_of(op, "actor") + " (" + paint.word(text_of(op, "state")) + ")";
  return out;
}

std::string log_line_view(const json& line, const style& paint) {
  std::string text = text_of(line, "text");
  std::string host = text_of(line, "host");
  std::string stream = text_of(line, "stream");
  if (host.empty()) return stream == "stderr" ? paint(text, tint::red) : text;
  if (stream == "stderr") return paint(host + " stderr|", tint::red) + " " + text;
  if (stream == "stdout") return paint(host + "|", tint::dim) + " " + text;
  return paint(host + ":", tint::dim) + " " + text;
}

std::string operation_end_view(const json& op, const style& paint, clock_time now) {
  std::string state = text_of(op, "state");
  std::string out = "=> " + paint.word(state);
  std::string took = elapsed(op, now);
  if (!took.empty()) out += " in " + took;
  std::string error = text_of(op, "error");
  if (!error.empty()) {
    out += ": " + error;
    std::string code = text_of(op, "error_code");
    if (!code.empty()) out += " (" + code + ")";
  }
  if (state == "ready")
    out += " (switch to send it traffic: bluegreen switch " + text_of(op, "app") + ")";
  return out;
}

std::string audit_view(const json& body, const style& paint, clock_time now) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "WHEN", "ACTOR", "CHANNEL", "ACTION", "APP", "OPERATION", "DETAIL"}};
  for (const auto& e : body.value("events", json::array())) {
    std::string op = text_of(e, "operation_id");
    rows.push_back({text_of(e, "id"), relative_time(text_of(e, "at"), now),
                    or_dash(text_of(e, "actor")), or_dash(text_of(e, "channel")),
                    text_of(e, "action"), or_dash(text_of(e, "app")), op.empty() ? "-" : "#" + op,
                    or_dash(text_of(e, "detail"))});
  }
  (void)paint;
  if (rows.size() == 1) return "no events yet\n";
  return table(rows);
}

std::string stream_event_view(const json& event, const style& paint) {
  std::string time = text_of(event, "time");
  std::string clock = time.size() >= 19 ? time.substr(11, 8) : time;
  std::string type = text_of(event, "type");
  std::string out = paint(clock, tint::dim) + "  " + type;
  std::string app = text_of(event, "app");
  if (!app.empty()) out += "  " + app;
  if (event.contains("operation") && event["operation"].is_object()) {
    out += "  " + operation_summary(event["operation"], paint);
    std::string error = text_of(event["operation"], "error");
    if (!error.empty()) out += ": " + error;
  } else if (type == "app.changed") {
    std::string changes;
    for (const auto& change : event.value("changes", json::array())) {
      if (!changes.empty()) changes += "; ";
      changes += text_of(change, "field") + " " + cell(change.value("old", json())) + " -> " +
                 cell(change.value("new", json()));
    }
    out += "  " + changes;
  } else if (event.contains("message")) {
    out += "  " + text_of(event, "message");
  }
  return out;
}

}  // namespace bluegreen::cli
