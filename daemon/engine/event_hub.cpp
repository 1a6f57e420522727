#include "daemon/engine/event_hub.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/engine/event_data.hpp"
#include "daemon/utc_time.hpp"
#include "storage/database.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::engine {

namespace asio = boost::asio;

struct event_hub::waiter {
  waiter(asio::io_context& io, std::chrono::milliseconds timeout) : timer(io, timeout) {}
  asio::steady_timer timer;
};

event_hub::event_hub(asio::io_context& io, storage::database& db, app_state_cache& stored,
                     std::int64_t keep)
    : io_(io), db_(db), stored_(stored), keep_(keep) {
  reported_ = stored_.all();
  heard_ = stored_.heard();
  newest_ = storage::event_repository(db_).range().newest;
  recent_after_ = newest_;
  db_.set_commit_listener([this] { committed(); });
}

event_hub::~event_hub() {
  *alive_ = false;
  db_.set_commit_listener({});
}

void event_hub::store(const storage::new_event& event) {
  storage::event_repository(db_).add(event, keep_);
  stored_since_ = true;
}

void event_hub::operation_started(const storage::operation_record& op) {
  store({"operation.started", op.app, op.id, operation_data(op, std::nullopt)});
}

void event_hub::operation_changed(const storage::operation_record& op,
                                  std::optional<storage::operation_state> previous_state) {
  bool ended = storage::is_terminal_state(op.state) &&
               !(previous_state && storage::is_terminal_state(*previous_state));
  // Noted before the event is stored: outside a transaction, storing it is
  // the commit that counts it.
  if (stats_) note_for_counting(op, previous_state, ended);
  store({ended ? "operation.finished" : "operation.updated", op.app, op.id,
         operation_data(op, previous_state)});
}

void event_hub::note_for_counting(const storage::operation_record& op,
                                  std::optional<storage::operation_state> previous_state,
                                  bool ended) {
  bool stopped_running = (!previous_state || storage::is_running_state(*previous_state)) &&
                         !storage::is_running_state(op.state);
  if (!ended && !stopped_running) return;
  uncounted u{op, ended, std::nullopt};
  if (stopped_running && op.started_at) {
    auto started = daemon::parse_utc_text(*op.started_at);
    auto stopped = op.finished_at ? daemon::parse_utc_text(*op.finished_at)
                                  : std::optional(std::chrono::system_clock::now());
    if (started && stopped)
      u.ran_seconds = std::chrono::duration<double>(*stopped - *started).count();
  }
  uncounted_[op.id] = std::move(u);
}

void event_hub::count_committed() {
  auto noted = std::move(uncounted_);
  uncounted_.clear();
  storage::operation_repository ops(db_);
  for (const auto& [id, u] : noted) {
    auto now = ops.find(id);
    if (!now || now->state != u.op.state) continue;  // rolled back
    if (u.ended) stats_->ended(u.op.app, u.op.kind, u.op.state);
    if (u.ran_seconds) stats_->ran(u.op.kind, *u.ran_seconds);
  }
}

void event_hub::committed() {
  if (!uncounted_.empty()) {
    try {
      count_committed();
    } catch (const std::exception& e) {
      spdlog::error("cannot count the operations that ended: {}", e.what());
    }
  }
  if (stored_.heard() != heard_ && !posted_) {
    posted_ = true;
    asio::post(io_, [this, alive = alive_] {
      if (!*alive) return;
      posted_ = false;
      sync();
    });
  }
  if (stored_since_) {
    stored_since_ = false;
    stale_ = true;
    wake();
  }
}

void event_hub::sync() {
  if (in_sync_ || stored_.heard() == heard_ || db_.in_transaction()) return;
  in_sync_ = true;
  try {
    static const stored_app kNone;
    std::uint64_t heard = stored_.heard();
    const auto& now = stored_.all();  // committed state: no transaction is open
    std::vector<storage::new_event> changed;
    for (const auto& [name, app] : now) {
      auto before = reported_.find(name);
      auto changes = app_changes(before == reported_.end() ? kNone : before->second, app);
      if (!changes.empty())
        changed.push_back({"app.changed", name, std::nullopt, app_changed_data(changes)});
    }
    if (!changed.empty()) {
      // One commit for all of them, without waiting for the disk: they are
      // derived from state already committed durably, and the next durable
      // commit (an operation's) syncs them too. A switch's reload waits for
      // no sync of its lock's event.
      storage::transaction tx(db_, storage::transaction::durability::relaxed);
      for (const auto& e : changed) store(e);
      tx.commit();
    }
    reported_ = now;
    heard_ = heard;
  } catch (const std::exception& e) {
    // What was not reported stays different from reported_: the next
    // commit reports it.
    spdlog::error("cannot store the events of a change of app state: {}", e.what());
  }
  in_sync_ = false;
}

void event_hub::wake() {
  for (auto* w : waiters_) w->timer.cancel();
}

void event_hub::refresh() {
  if (!stale_) return;
  stale_ = false;
  auto fresh = storage::event_repository(db_).after(newest_, std::numeric_limits<int>::max());
  if (fresh.empty()) return;
  newest_ = fresh.back().id;
  for (auto& e : fresh) recent_.push_back(std::move(e));
  std::size_t cap = std::min<std::size_t>(kRecent, static_cast<std::size_t>(keep_));
  while (recent_.size() > cap) {
    recent_after_ = recent_.front().id;
    recent_.pop_front();
  }
}

event_hub::page event_hub::read(std::int64_t after_id, int limit,
                                std::optional<std::string_view> app) {
  refresh();
  page p;
  if (after_id < recent_after_) {
    // Older than what is in memory: a client catching up reads the table.
    p.events = storage::event_repository(db_).after(after_id, limit, app);
  } else {
    auto from = std::upper_bound(
        recent_.begin(), recent_.end(), after_id,
        [](std::int64_t id, const storage::event_record& e) { return id < e.id; });
    for (auto it = from; it != recent_.end() && static_cast<int>(p.events.size()) < limit; ++it)
      if (!app || it->app == *app) p.events.push_back(*it);
  }
  if (static_cast<int>(p.events.size()) == limit)
    p.cursor = p.events.back().id;
  else
    p.cursor = std::max(after_id, newest_);
  return p;
}

std::int64_t event_hub::newest() {
  // Asked once per stream, when it starts: the table is the truth (events
  // stored by another writer are read into memory at the next read).
  std::int64_t stored = storage::event_repository(db_).range().newest;
  if (stored > newest_) stale_ = true;
  refresh();
  return newest_;
}

bool event_hub::covers(std::int64_t after_id) {
  auto r = storage::event_repository(db_).range();
  if (after_id > r.newest) return false;
  // Ids are consecutive (AUTOINCREMENT, and a rolled-back insert gives its
  // id back): nothing after `after_id` is missing when the oldest kept
  // follows it, or nothing newer was ever stored.
  return after_id == r.newest || after_id >= r.oldest_kept - 1;
}

asio::awaitable<void> event_hub::wait(std::int64_t after_id, std::chrono::milliseconds timeout) {
  refresh();
  if (stopping_ || newest_ > after_id) co_return;
  waiter w(io_, timeout);
  waiters_.insert(&w);
  co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  waiters_.erase(&w);
}

void event_hub::stop() {
  stopping_ = true;
  wake();
}

}  // namespace bluegreen::engine
