#include "daemon/engine/event_data.hpp"

#include <array>

namespace bluegreen::engine {

namespace {

using nlohmann::json;

template <typename T>
json or_null(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json lock_value(const std::optional<storage::lock_record>& lock) {
  if (!lock) return nullptr;
  return {{"holder", lock->holder},
          {"reason", or_null(lock->reason)},
          {"operation_id", or_null(lock->operation_id)},
          {"acquired_at", lock->acquired_at}};
}

struct reported_field {
  std::string_view name;
  json (*value)(const stored_app&);
};

// What app.changed reports. health_at and updated_at are left out: they
// move on every check or write even when nothing a reader cares about did.
// A field added to the stored state is one line here.
const std::array kFields = {
    reported_field{"live", [](const stored_app& a) { return or_null(a.state.live); }},
    reported_field{"routing", [](const stored_app& a) { return or_null(a.state.routing); }},
    reported_field{"previous_live",
                   [](const stored_app& a) { return or_null(a.state.previous_live); }},
    reported_field{"drifted", [](const stored_app& a) { return json(a.state.drifted); }},
    reported_field{"drift_reason",
                   [](const stored_app& a) { return or_null(a.state.drift_reason); }},
    reported_field{"reality.routing",
                   [](const stored_app& a) { return or_null(a.state.observed_routing); }},
    reported_field{"reality.identity",
                   [](const stored_app& a) { return or_null(a.state.observed_identity); }},
    reported_field{"reality.error",
                   [](const stored_app& a) { return or_null(a.state.observed_error); }},
    reported_field{"reality.load_balancers",
                   [](const stored_app& a) { return load_balancers_json(a.load_balancers); }},
    reported_field{"blue.ref", [](const stored_app& a) { return or_null(a.state.blue.ref); }},
    reported_field{"blue.sha", [](const stored_app& a) { return or_null(a.state.blue.sha); }},
    reported_field{"blue.deployed_at",
                   [](const stored_app& a) { return or_null(a.state.blue.deployed_at); }},
    reported_field{"blue.deployed_by",
                   [](const stored_app& a) { return or_null(a.state.blue.deployed_by); }},
    reported_field{"blue.verified",
                   [](const stored_app& a) { return json(a.state.blue.verified); }},
    reported_field{"blue.health", [](const stored_app& a) { return or_null(a.state.blue.health); }},
    reported_field{"green.ref", [](const stored_app& a) { return or_null(a.state.green.ref); }},
    reported_field{"green.sha", [](const stored_app& a) { return or_null(a.state.green.sha); }},
    reported_field{"green.deployed_at",
                   [](const stored_app& a) { return or_null(a.state.green.deployed_at); }},
    reported_field{"green.deployed_by",
                   [](const stored_app& a) { return or_null(a.state.green.deployed_by); }},
    reported_field{"green.verified",
                   [](const stored_app& a) { return json(a.state.green.verified); }},
    reported_field{"green.health",
                   [](const stored_app& a) { return or_null(a.state.green.health); }},
    reported_field{"operation_lock",
                   [](const stored_app& a) { return lock_value(a.operation_lock); }},
    reported_field{"manual_lock", [](const stored_app& a) { return lock_value(a.manual_lock); }},
};

std::string text_of(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::vector<field_change> app_changes(const stored_app& before, const stored_app& after) {
  std::vector<field_change> out;
  for (const auto& f : kFields) {
    json old_value = f.value(before);
    json new_value = f.value(after);
    if (old_value != new_value)
      out.push_back({std::string(f.name), std::move(old_value), std::move(new_value)});
  }
  return out;
}

nlohmann::json load_balancers_json(const std::vector<load_balancer_seen>& seen) {
  json out = json::array();
  for (const auto& lb : seen)
    out.push_back(
        {{"name", lb.name}, {"routing", or_null(lb.routing)}, {"error", or_null(lb.error)}});
  return out;
}

std::string app_changed_data(const std::vector<field_change>& changes) {
  json list = json::array();
  for (const auto& c : changes)
    list.push_back({{"field", c.field}, {"old", c.before}, {"new", c.after}});
  return text_of({{"changes", list}});
}

std::string operation_data(const storage::operation_record& op,
                           std::optional<storage::operation_state> previous_state) {
  json summary = {{"id", op.id},
                  {"app", op.app},
                  {"kind", to_string(op.kind)},
                  {"state", to_string(op.state)},
                  {"colour", or_null(op.colour)},
                  {"ref", or_null(op.ref)},
                  {"sha", or_null(op.sha)},
                  {"task", or_null(op.task)},
                  {"detail", or_null(op.detail)},
                  {"actor", op.actor},
                  {"channel", op.channel},
                  {"error", or_null(op.error)},
                  {"error_code", or_null(op.error_code)},
                  {"started_at", or_null(op.started_at)},
                  {"finished_at", or_null(op.finished_at)}};
  json data = {{"operation", summary}};
  if (previous_state) data["previous_state"] = to_string(*previous_state);
  return text_of(data);
}

}  // namespace bluegreen::engine
