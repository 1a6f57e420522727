#include "daemon/chat/replies.hpp"

#include <nlohmann/json.hpp>

#include "daemon/chat_markup.hpp"
#include "daemon/traffic/routing.hpp"
#include "daemon/utf8.hpp"

namespace bluegreen::chat {

namespace {

using storage::operation_kind;
using storage::operation_state;

std::string short_sha(const std::optional<std::string>& sha) {
  return sha ? sha->substr(0, 8) : std::string();
}

// "demo main" / "demo main (1a2b3c4d)".
std::string release_of(const storage::operation_record& op) {
  std::string out = op.app;
  if (op.ref) out += " " + *op.ref;
  if (op.sha && (!op.ref || !op.sha->starts_with(*op.ref))) out += " (" + short_sha(op.sha) + ")";
  return out;
}

std::string colour_or(const storage::operation_record& op, std::string_view fallback) {
  return op.colour ? *op.colour : std::string(fallback);
}

std::string number(const storage::operation_record& op) {
  return "operation " + std::to_string(op.id);
}

std::string why(const storage::operation_record& op) {
  return op.error ? ": " + *op.error : std::string();
}

// "green runs main (1a2b3c4d), deployed by alice at ..., smoke checks passed".
std::string colour_line(const storage::colour_record& c, bool live) {
  std::string out = "• " + c.colour + (live ? " (live)" : "") + ": ";
  if (!c.ref && !c.sha) return out + "nothing deployed yet";
  out += c.ref.value_or("?");
  if (c.sha) out += " (" + short_sha(c.sha) + ")";
  if (c.deployed_by) out += ", deployed by " + *c.deployed_by;
  if (c.deployed_at) out += " at " + *c.deployed_at;
  out += c.verified ? ", smoke checks passed" : ", not verified";
  if (c.health && *c.health != "healthy") out += ", health " + *c.health;
  return out;
}

}  // namespace

std::string reply_json(const reply& r, platform chat) {
  // Mattermost takes at most 16,383 characters in a post; a status of
  // many apps could pass that.
  constexpr std::size_t kMaxText = 16000;
  std::string text = chat == platform::slack ? daemon::slack_escaped(r.text)
                                             : daemon::mattermost_mentions_broken(r.text);
  if (text.size() > kMaxText)
    text = text.substr(0, daemon::utf8::boundary_at_or_before(text, kMaxText)) + "…";
  nlohmann::json body = {{"response_type", r.in_channel ? "in_channel" : "ephemeral"},
                         {"text", text}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string accepted_text(const storage::operation_record& op, std::string_view asked_by,
                          std::string_view target) {
  std::string by = " — asked by " + std::string(asked_by);
  switch (op.kind) {
    case operation_kind::deploy:
      return "Deploying " + release_of(op) + " to " + colour_or(op, "the idle colour") + " (" +
             number(op) + ")" + by;
    case operation_kind::switch_traffic:
      return "Switching " + op.app + " to " +
             (target.empty() ? colour_or(op, "the idle colour") : std::string(target)) + " (" +
             number(op) + ")" + by;
    case operation_kind::rollback:
      return "Rolling " + op.app + " back to " + colour_or(op, "the previous colour") + " (" +
             number(op) + ")" + by;
    case operation_kind::task:
      return "Running task " + op.task.value_or("?") + " of " + op.app + " (" + number(op) + ")" +
             by;
  }
  return number(op) + " accepted" + by;
}

std::optional<std::string> progress_text(const storage::operation_record& op,
                                         std::string_view slash, std::string_view target) {
  std::string s(slash.empty() ? "/deploy" : slash);
  std::string colour = target.empty() ? colour_or(op, "the idle colour") : std::string(target);
  switch (op.state) {
    case operation_state::queued:
    case operation_state::running:
      return std::nullopt;
    case operation_state::ready:
      return "Smoke checks passed: " + release_of(op) + " is ready on " + colour + " (" +
             number(op) + "). Run `" + s + " switch " + op.app + "` to send it the traffic.";
    case operation_state::succeeded:
      switch (op.kind) {
        case operation_kind::deploy:
          return release_of(op) + " is live on " + colour + " (" + number(op) + ").";
        case operation_kind::switch_traffic:
          return "Switched " + op.app + " to " + colour + " (" + number(op) + ").";
        case operation_kind::rollback:
          return "Rolled " + op.app + " back to " + colour + " (" + number(op) + ").";
        case operation_kind::task:
          return "Task " + op.task.value_or("?") + " of " + op.app + " succeeded (" + number(op) +
                 ").";
      }
      return std::nullopt;
    case operation_state::failed:
      return "Failed: " + std::string(storage::to_string(op.kind)) + " of " + release_of(op) +
             (op.colour ? " to " + *op.colour : std::string()) + " (" + number(op) + ")" + why(op);
    case operation_state::cancelled:
      return "Cancelled: " + std::string(storage::to_string(op.kind)) + " of " + release_of(op) +
             " (" + number(op) + ")" + why(op);
    case operation_state::interrupted:
      return "Interrupted: " + std::string(storage::to_string(op.kind)) + " of " + release_of(op) +
             " (" + number(op) + ") stopped when the daemon stopped or restarted" + why(op);
    case operation_state::rolled_back:
      return "Switched back: the switch of " + op.app + " to " + colour + " (" + number(op) +
             ") was rolled back" + why(op);
  }
  return std::nullopt;
}

std::string status_text(const engine::app_view& view) {
  const auto& s = view.state;
  std::string out = "*" + view.app->name + "*: ";
  if (!s.live) {
    out += "live colour not established yet";
  } else {
    auto routing = s.routing ? traffic::routing::decode(*s.routing) : std::nullopt;
    if (routing && !routing->single())
      out += "traffic split " + routing->describe();
    else
      out += "live " + *s.live;
  }
  if (view.recovering) out += "; recovering after a restart";
  if (s.drifted) out += "; drifted: " + s.drift_reason.value_or("the load balancer disagrees");
  if (view.manual_lock)
    out += "; locked by " + view.manual_lock->holder + ": " + view.manual_lock->reason.value_or("");
  if (view.operation_lock && view.operation_lock->operation_id)
    out += "; operation " + std::to_string(*view.operation_lock->operation_id) + " running";
  out += "\n" + colour_line(s.blue, s.live && *s.live == "blue");
  out += "\n" + colour_line(s.green, s.live && *s.live == "green");
  return out;
}

}  // namespace bluegreen::chat
