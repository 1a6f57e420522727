// not_deployed_rule is when an app "has not been deployed for N days": once
// a day, at notify.not_deployed_at local time (the daily slot), an app whose
// newest deploy (the later of its colours' deployed_at) plus its threshold
// ([app.notify] not_deployed_for) is at or before that slot is alerted,
// unless its last alert was for a slot less than 23 h before this one (so at
// most one alert a day, even when a reload moves the time of day later or a
// daylight saving fall-back repeats the slot's hour). An app never deployed
// is never alerted. Local time is UTC plus `utc_offset` (the caller passes the
// zone's offset now: no daylight saving change within a computation).
//
// The alert's message names the release the newest deploy put on its colour.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "daemon/notify/notification.hpp"
#include "storage/app_state_repository.hpp"

namespace bluegreen::notify {

using time_point = std::chrono::system_clock::time_point;

// The latest moment at or before `now` whose local time of day is `at`.
time_point latest_slot(time_point now, std::chrono::seconds at, std::chrono::seconds utc_offset);

struct not_deployed_facts {
  std::optional<time_point> newest_deploy;  // nothing: never deployed
  std::chrono::milliseconds threshold{0};
  std::optional<time_point> last_sent;  // the slot the app's last alert was for
};

struct daily_slot {
  std::chrono::seconds at{9 * 3600};  // local time of day
  std::chrono::seconds utc_offset{0};
};

// Whether the alert is due at `now`.
bool not_deployed_due(const not_deployed_facts& facts, time_point now, daily_slot slot);

// The first moment at or after `now` at which the alert is due if nothing
// changes (`now` itself when it is due); nothing when it never will be.
std::optional<time_point> not_deployed_next(const not_deployed_facts& facts, time_point now,
                                            daily_slot slot);

// The newest deploy of `app`: the colour whose deployed_at is the latest;
// nothing when neither colour was ever deployed.
std::optional<storage::colour_record> newest_deploy(const storage::app_record& app);

// The alert's notification: `newest` is the app's newest deploy, `slot` the
// daily slot it is sent for.
notification not_deployed_notification(std::string_view app, const storage::colour_record& newest,
                                       std::chrono::milliseconds threshold, time_point now,
                                       time_point slot, std::string_view public_url);

}  // namespace bluegreen::notify
