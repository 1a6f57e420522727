// app_state_cache keeps what is stored about every app (its row in apps,
// both colours' rows in colour_state, its locks) in memory, so the app
// listing and app views cost no query. It stays true by hearing every
// change the engine's database connection makes to those three tables
// (storage::database's change listener, so no write path can be missed):
// a change marks the copy stale, and the next read loads every app again
// in two queries. A read inside an open transaction (which could still be
// rolled back) does not count as fresh. Nothing else writes these tables:
// the state directory lock keeps one daemon per state.db, and the token
// commands write only tokens and the audit log.
//
// Thread-safety: same as the database it listens to (the io thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/app_state_repository.hpp"
#include "storage/lock_repository.hpp"

namespace bluegreen::storage {
class database;
}

namespace bluegreen::engine {

// What the reality loop last saw of one of an app's load balancers: the
// routing it reports ("green:100"), or why it could not be read.
struct load_balancer_seen {
  std::string name;
  std::optional<std::string> routing;
  std::optional<std::string> error;
  bool operator==(const load_balancer_seen&) const = default;
};

struct stored_app {
  storage::app_record state;
  std::optional<storage::lock_record> operation_lock;
  std::optional<storage::lock_record> manual_lock;
  // Each load balancer as the reality loop last saw it, in the order of
  // the configuration; empty before its first look since the start. Kept
  // in memory only (see set_load_balancers).
  std::vector<load_balancer_seen> load_balancers;
};

class app_state_cache {
 public:
  // Listens to `db` until destroyed.
  explicit app_state_cache(storage::database& db);
  ~app_state_cache();
  app_state_cache(const app_state_cache&) = delete;
  app_state_cache& operator=(const app_state_cache&) = delete;

  // What is stored about `app`, or nullptr when it has no row. Valid until
  // the next call.
  const stored_app* find(std::string_view app);
  // Every app's stored state, by name. Valid until the next call.
  const std::map<std::string, stored_app, std::less<>>& all();
  // Counts the changes heard (rows written, committed or not), so a reader
  // can tell cheaply whether anything was written since it last looked.
  std::uint64_t heard() const { return heard_; }
  // Changes whenever what find() answers may have changed (and on touch()):
  // readers that render the state keep their rendering while it stays.
  // Loads the state first when it is stale.
  std::uint64_t version();
  // Something beside the stored state changed (the configuration).
  void touch() { ++version_; }
  // Records what the reality loop saw of each of the app's load balancers.
  // Not stored: it is a detail of the stored reality (whose routing and
  // error it explains), read afresh at every look. A change counts as a
  // change heard, so the next commit reports it as an event. Returns
  // whether it changed.
  bool set_load_balancers(std::string_view app, std::vector<load_balancer_seen> seen);
  // How many times the state was loaded (for tests of the cache itself).
  std::uint64_t loads() const { return loads_; }

 private:
  void load();

  storage::database& db_;
  std::map<std::string, stored_app, std::less<>> apps_;
  std::map<std::string, std::vector<load_balancer_seen>, std::less<>> load_balancers_;
  bool stale_ = true;
  std::uint64_t version_ = 0;
  std::uint64_t loads_ = 0;
  std::uint64_t heard_ = 0;
};

}  // namespace bluegreen::engine
