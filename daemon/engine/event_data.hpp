// event_data holds the pure parts of the event stream: which fields of an
// app's stored state an `app.changed` event reports (one table, so a new
// stored field is one line), the difference between two stored states,
// and the JSON text stored as an event's data. JSON text is always valid:
// bytes that are not UTF-8 (an operation's error holds what hosts printed)
// become U+FFFD.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/engine/app_state_cache.hpp"
#include "storage/operation_repository.hpp"

namespace bluegreen::engine {

// One field of an app's stored state that changed: its name ("live",
// "blue.health", "manual_lock") and its value before and after (null when
// unset).
struct field_change {
  std::string field;
  nlohmann::json before;
  nlohmann::json after;
};

// The reported fields that differ between two stored states of one app, in
// the table's order; empty when none does.
std::vector<field_change> app_changes(const stored_app& before, const stored_app& after);

// Each load balancer as the reality loop saw it, as the app view and its
// events show it: [{"name", "routing", "error"}].
nlohmann::json load_balancers_json(const std::vector<load_balancer_seen>& seen);

// The data of an `app.changed` event: {"changes": [{"field", "old", "new"}]}.
std::string app_changed_data(const std::vector<field_change>& changes);

// The data of an operation event: {"operation": {...}} with what the
// operation is now (states and kinds spelt as the API spells them), and
// "previous_state" when its state changed.
std::string operation_data(const storage::operation_record& op,
                           std::optional<storage::operation_state> previous_state);

}  // namespace bluegreen::engine
