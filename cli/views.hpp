// The API's JSON as text for people: the apps table, one app in detail,
// operations, an operation's log lines and its end, the audit log and the
// event stream's events. Every string from the server is sanitised; colours
// come from `style` (none when not painting).
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/text.hpp"

namespace bluegreen::cli {

using clock_time = std::chrono::system_clock::time_point;

// GET /api/v1/apps's body.
std::string apps_view(const nlohmann::json& body, const style& paint, clock_time now);
// GET /api/v1/apps/{app}'s body.
std::string app_view(const nlohmann::json& app, const style& paint, clock_time now);
// A list of operations, newest first.
std::string operations_view(const nlohmann::json& operations, const style& paint, clock_time now);
// "deploy #42 of web: main to green, by alice (running)".
std::string operation_summary(const nlohmann::json& operation, const style& paint);
// One log line: events as they are, a host's output after its host, stderr marked.
std::string log_line_view(const nlohmann::json& line, const style& paint);
// "=> ready in 4.2 s", and why when it did not succeed; an operation that has
// not finished (a ready deploy) counts its time until `now`.
std::string operation_end_view(const nlohmann::json& operation, const style& paint, clock_time now);
// GET /api/v1/events's body.
std::string audit_view(const nlohmann::json& body, const style& paint, clock_time now);
// One event of the event stream, on one line.
std::string stream_event_view(const nlohmann::json& event, const style& paint);

// A JSON value as text for a cell: strings sanitised, null as "-".
std::string cell(const nlohmann::json& value);

}  // namespace bluegreen::cli
