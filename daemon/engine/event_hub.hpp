// event_hub is the one place events come from: an operation started,
// changed state or ended (told by the engine's begin/finish path, stored in
// the same transaction as the change), and an app's stored state changed
// (derived, after each commit, from what app_state_cache holds against what
// was last reported, so a rolled-back write emits nothing and every writer
// of apps, colour_state and locks is covered). Events are stored in the
// `events` table (the newest `keep` are kept; ids never reused), and
// readers of the stream read them at their own pace and wait here for the
// next one. The newest events are also held in memory, read from the table
// once per commit, so that many live streams cost no query per event each.
//
// Thread-safety: the io thread, like the database it writes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/engine/app_state_cache.hpp"
#include "daemon/engine/operation_stats.hpp"
#include "storage/event_repository.hpp"
#include "storage/operation_repository.hpp"

namespace boost::asio {
class io_context;
}
namespace bluegreen::storage {
class database;
}

namespace bluegreen::engine {

class event_hub {
 public:
  // How many events are kept for clients that reconnect.
  static constexpr std::int64_t kKeep = 10000;
  // How many of the newest are also held in memory for live readers.
  static constexpr std::size_t kRecent = 1024;

  // Listens to the commits of `db` until destroyed; `stored` must be the
  // cache that hears `db`'s changes.
  event_hub(boost::asio::io_context& io, storage::database& db, app_state_cache& stored,
            std::int64_t keep = kKeep);
  ~event_hub();
  event_hub(const event_hub&) = delete;
  event_hub& operator=(const event_hub&) = delete;

  // Operation events, stored in the caller's transaction when one is open.
  void operation_started(const storage::operation_record& op);
  // `operation.finished` when it entered a terminal state, else
  // `operation.updated` (a ready deploy; a switch the watch rolled back).
  void operation_changed(const storage::operation_record& op,
                         std::optional<storage::operation_state> previous_state);

  // Reports the app changes committed so far; nothing inside a transaction.
  void sync();

  // Operations that end (or stop running) are counted into `stats` once
  // their change is committed.
  void count_into(operation_stats& stats) { stats_ = &stats; }

  // Events after `after_id` (filtered by `app`), at most `limit`, and the
  // cursor to read on from: past events of other apps too, so a filtered
  // reader does not read them again.
  struct page {
    std::vector<storage::event_record> events;
    std::int64_t cursor = 0;
  };
  page read(std::int64_t after_id, int limit, std::optional<std::string_view> app);
  // The newest event id ever stored (0 when none), read from the table.
  std::int64_t newest();
  // Whether every event after `after_id` is still kept (false when some
  // were pruned, or the id is newer than any stored).
  bool covers(std::int64_t after_id);

  // Waits until an event after `after_id` is committed, `timeout` passes,
  // or a stop begins.
  boost::asio::awaitable<void> wait(std::int64_t after_id, std::chrono::milliseconds timeout);
  // A graceful stop began: waiters are let go and stop waiting from now on.
  void stop();
  bool stopping() const { return stopping_; }

 private:
  struct waiter;
  void committed();
  // Reads what was committed since the last look into recent_ (once per
  // commit that stored events, by the first reader after it).
  void refresh();
  void store(const storage::new_event& event);
  void wake();
  // Notes an operation's change for counting once committed: an end, or
  // the time it ran when it stopped running.
  void note_for_counting(const storage::operation_record& op,
                         std::optional<storage::operation_state> previous_state, bool ended);
  // Counts the operation changes noted since the last commit that the
  // database now holds (one rolled back is not there).
  void count_committed();

  boost::asio::io_context& io_;
  storage::database& db_;
  app_state_cache& stored_;
  std::int64_t keep_;
  // Every app's stored state as last reported, and the cache's count of
  // heard changes then.
  std::map<std::string, stored_app, std::less<>> reported_;
  std::uint64_t heard_ = 0;
  bool in_sync_ = false;       // the hub's own writes commit too
  bool stored_since_ = false;  // an event was stored since the last commit
  bool stopping_ = false;
  // The newest events, oldest first: every committed event with an id above
  // recent_after_, up to newest_ (the newest ever stored).
  std::deque<storage::event_record> recent_;
  std::int64_t recent_after_ = 0;
  std::int64_t newest_ = 0;
  bool stale_ = false;  // a commit stored events not read into recent_ yet
  bool posted_ = false;                                         // a sync() is posted to the loop
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for what was posted
  std::set<waiter*> waiters_;
  // An operation's change to count once committed, by operation id.
  struct uncounted {
    storage::operation_record op;
    bool ended = false;                // reached a state it never leaves
    std::optional<double> ran_seconds;  // it stopped running after this long
  };
  operation_stats* stats_ = nullptr;
  std::map<std::int64_t, uncounted> uncounted_;
};

}  // namespace bluegreen::engine
