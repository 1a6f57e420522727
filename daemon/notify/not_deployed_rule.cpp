#include "daemon/notify/not_deployed_rule.hpp"

#include "daemon/duration.hpp"
#include "daemon/notify/event_notification.hpp"
#include "daemon/utc_time.hpp"

namespace bluegreen::notify {

namespace {

constexpr std::chrono::hours kDay{24};
// Slots this close to the last alert's are skipped: a reload that moves the
// time of day later, or a slot in the hour a fall-back repeats, would
// otherwise alert twice the same day. 23 h, not 24: the day a clock springs
// forward is 23 h long.
constexpr std::chrono::hours kMinimumGap{23};

bool due_at_slot(const not_deployed_facts& facts, time_point slot) {
  if (!facts.newest_deploy) return false;
  if (*facts.newest_deploy + facts.threshold > slot) return false;
  return !facts.last_sent || *facts.last_sent + kMinimumGap <= slot;
}

}  // namespace

time_point latest_slot(time_point now, std::chrono::seconds at, std::chrono::seconds utc_offset) {
  auto local = now + utc_offset;
  auto midnight = std::chrono::floor<std::chrono::days>(local);
  auto slot = time_point(midnight) + at;
  if (slot > local) slot -= kDay;
  return slot - utc_offset;
}

bool not_deployed_due(const not_deployed_facts& facts, time_point now, daily_slot slot) {
  if (facts.threshold.count() <= 0) return false;
  return due_at_slot(facts, latest_slot(now, slot.at, slot.utc_offset));
}

std::optional<time_point> not_deployed_next(const not_deployed_facts& facts, time_point now,
                                            daily_slot slot) {
  if (!facts.newest_deploy || facts.threshold.count() <= 0) return std::nullopt;
  if (not_deployed_due(facts, now, slot)) return now;
  // The slots after now: the first one at or after newest deploy +
  // threshold, and after the last alert.
  auto next = latest_slot(now, slot.at, slot.utc_offset) + kDay;
  auto old_enough = *facts.newest_deploy + facts.threshold;
  if (old_enough > next) {
    next = latest_slot(old_enough, slot.at, slot.utc_offset);
    if (next < old_enough) next += kDay;
  }
  while (facts.last_sent && *facts.last_sent + kMinimumGap > next) next += kDay;
  return next;
}

std::optional<storage::colour_record> newest_deploy(const storage::app_record& app) {
  auto blue = daemon::parse_utc_text(app.blue.deployed_at.value_or(""));
  auto green = daemon::parse_utc_text(app.green.deployed_at.value_or(""));
  if (!blue && !green) return std::nullopt;
  if (blue && (!green || *blue >= *green)) return app.blue;
  return app.green;
}

notification not_deployed_notification(std::string_view app, const storage::colour_record& newest,
                                       std::chrono::milliseconds threshold, time_point now,
                                       time_point slot, std::string_view public_url) {
  notification n;
  n.event = "not_deployed";
  n.app = std::string(app);
  auto at = daemon::parse_utc_text(newest.deployed_at.value_or(""));
  auto age = at ? std::chrono::duration_cast<std::chrono::milliseconds>(now - *at)
                : std::chrono::milliseconds(0);
  std::string release = newest.ref.value_or("");
  if (newest.sha) {
    std::string sha = newest.sha->substr(0, 7);
    release = release.empty() || sha.starts_with(release) ? sha : release + " (" + sha + ")";
  }
  n.text = n.app + " has not been deployed for " + human_duration(age) +
           " (the alert's threshold is " + daemon::format_duration(threshold) +
           "): the newest deploy put " + (release.empty() ? std::string("a release") : release) +
           " on " + newest.colour + " at " + newest.deployed_at.value_or("?") +
           (newest.deployed_by ? " (by " + *newest.deployed_by + ")" : std::string()) + ".";
  n.link = dashboard_link(public_url, app, 0);
  n.operation = nullptr;
  n.at = daemon::utc_text(now);
  n.id = "not_deployed-" + n.app + "-" + daemon::utc_text(slot);
  return n;
}

}  // namespace bluegreen::notify
