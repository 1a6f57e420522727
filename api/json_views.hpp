// JSON renderings of engine and storage values for API responses. Secrets
// are never rendered: only where they come from. Pure functions.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "api/json_text.hpp"
#include "daemon/engine/engine.hpp"
#include "storage/audit_repository.hpp"

namespace bluegreen::api {

// The summary shown in the app list.
nlohmann::json app_summary_json(const engine::app_view& view);
// Everything: configuration merged with stored state.
nlohmann::json app_detail_json(const engine::app_view& view);
nlohmann::json audit_event_json(const storage::audit_event& event);
nlohmann::json lock_json(const storage::lock_record& lock);
nlohmann::json operation_json(const storage::operation_record& op);
nlohmann::json log_line_json(const storage::log_line& line);

}  // namespace bluegreen::api
