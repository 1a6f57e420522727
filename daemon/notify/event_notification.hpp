// event_notification decides what an event of the stream (operation.started,
// operation.updated, operation.finished, app.changed) tells the team: at
// most one notification, with the words of its message. A deploy that
// started, became ready, succeeded or failed; a switch; a rollback by a
// person; the watch's switch back with its reason; drift detected and
// resolved; a manual lock and unlock. Anything else (tasks, health checks,
// what the reality loop saw) tells nothing.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/notify/notification.hpp"
#include "storage/event_repository.hpp"

namespace bluegreen::notify {

// The notification of `event`, or nothing. `public_url` is server.public_url
// (the dashboard's address); empty: no link.
std::optional<notification> notification_for(const storage::event_record& event,
                                             std::string_view public_url);

// The dashboard's view of operation `id` of `app` (or of the app when `id`
// is 0) under `public_url`; nothing when public_url is empty.
std::optional<std::string> dashboard_link(std::string_view public_url, std::string_view app,
                                          std::int64_t id);

// A duration as people read it in a message: "0.4s", "42s", "3m5s", "2h1m",
// "3 days".
std::string human_duration(std::chrono::milliseconds value);

// Whether `event` (app.changed) changed the time a colour was deployed:
// when an app may next be "not deployed for N days" moves.
bool changes_deploy_time(const storage::event_record& event);

}  // namespace bluegreen::notify
