// JSON renderings of engine and storage values for API responses. Secrets
// are never rendered: only where they come from. Pure functions.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

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

// The text of a JSON value as the API sends it. Strings hold what hosts
// printed, which need not be UTF-8: invalid sequences become U+FFFD here,
// so a stored byte can never make a response fail.
std::string json_text(const nlohmann::json& value);

}  // namespace bluegreen::api
