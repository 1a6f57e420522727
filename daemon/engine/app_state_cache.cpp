#include "daemon/engine/app_state_cache.hpp"

#include "storage/database.hpp"

namespace bluegreen::engine {

app_state_cache::app_state_cache(storage::database& db) : db_(db) {
  db_.set_change_listener([this](std::string_view table) {
    if (table == "apps" || table == "colour_state" || table == "locks") {
      stale_ = true;
      ++version_;
      ++heard_;
    }
  });
}

app_state_cache::~app_state_cache() { db_.set_change_listener({}); }

const stored_app* app_state_cache::find(std::string_view app) {
  if (stale_) load();
  auto it = apps_.find(app);
  return it == apps_.end() ? nullptr : &it->second;
}

const std::map<std::string, stored_app, std::less<>>& app_state_cache::all() {
  if (stale_) load();
  return apps_;
}

std::uint64_t app_state_cache::version() {
  if (stale_) load();
  return version_;
}

bool app_state_cache::set_load_balancers(std::string_view app,
                                         std::vector<load_balancer_seen> seen) {
  auto it = load_balancers_.find(app);
  if (it != load_balancers_.end() && it->second == seen) return false;
  if (it == load_balancers_.end())
    it = load_balancers_.emplace(std::string(app), seen).first;
  else
    it->second = seen;
  auto shown = apps_.find(app);
  if (shown != apps_.end()) shown->second.load_balancers = std::move(seen);
  ++version_;
  ++heard_;
  return true;
}

void app_state_cache::load() {
  std::map<std::string, stored_app, std::less<>> fresh;
  for (auto& state : storage::app_state_repository(db_).all()) {
    std::string name = state.name;
    fresh[name].state = std::move(state);
  }
  for (auto& lock : storage::lock_repository(db_).all()) {
    auto it = fresh.find(lock.app);
    if (it == fresh.end()) continue;
    (lock.kind == "manual" ? it->second.manual_lock : it->second.operation_lock) = std::move(lock);
  }
  for (auto& [name, app] : fresh) {
    auto seen = load_balancers_.find(name);
    if (seen != load_balancers_.end()) app.load_balancers = seen->second;
  }
  apps_ = std::move(fresh);
  ++loads_;
  // A new version per load: what was rendered from a load inside a
  // transaction that is then rolled back is never taken for current.
  ++version_;
  // Inside a transaction this may be rolled back: read again next time.
  stale_ = db_.in_transaction();
}

}  // namespace bluegreen::engine
