#include "daemon/engine/engine.hpp"

#include "storage/database.hpp"

#include <algorithm>

namespace bluegreen::engine {

engine::engine(std::shared_ptr<const daemon::config> cfg, storage::database& db)
    : cfg_(std::move(cfg)), db_(db) {
  ensure_app_rows(*cfg_);
}

void engine::ensure_app_rows(const daemon::config& cfg) {
  storage::app_state_repository states(db_);
  for (const auto& app : cfg.apps) states.ensure(app.name);
}

void engine::reload(std::shared_ptr<const daemon::config> cfg, const actor& who) {
  ensure_app_rows(*cfg);  // throws before anything changes
  cfg_ = std::move(cfg);
  record(who, "config.reload", std::nullopt,
         "loaded " + cfg_->source.string() + " with " + std::to_string(cfg_->apps.size()) +
             " app(s)");
}

app_view engine::view_of(const daemon::app_config& app, storage::app_record state) {
  storage::lock_repository locks(db_);
  app_view view;
  view.cfg = cfg_;
  view.app = &app;
  view.state = std::move(state);
  view.operation_lock = locks.find(app.name, "operation");
  view.manual_lock = locks.find(app.name, "manual");
  return view;
}

std::vector<app_view> engine::apps() {
  storage::app_state_repository states(db_);
  std::vector<app_view> out;
  for (const auto& app : cfg_->apps) {
    auto state = states.find(app.name);
    out.push_back(view_of(app, state ? std::move(*state) : storage::app_record{}));
  }
  return out;
}

std::optional<app_view> engine::app(std::string_view name) {
  const daemon::app_config* app = cfg_->find_app(name);
  if (!app) return std::nullopt;
  auto state = storage::app_state_repository(db_).find(name);
  return view_of(*app, state ? std::move(*state) : storage::app_record{});
}

std::vector<storage::audit_event> engine::events(int limit, std::optional<std::int64_t> before_id,
                                                 std::optional<std::string_view> app) {
  return storage::audit_repository(db_).list(limit, before_id, app);
}

void engine::record(const actor& who, std::string_view action,
                    std::optional<std::string_view> app, std::optional<std::string_view> detail) {
  storage::new_audit_event event;
  event.actor = who.name;
  event.channel = who.channel;
  event.action = std::string(action);
  if (app) event.app = std::string(*app);
  if (detail) event.detail = std::string(*detail);
  storage::audit_repository(db_).record(event);
}

namespace {

failure unknown_app(std::string_view app) {
  return {failure::kind::not_found, "unknown_app",
          "no app named \"" + std::string(app) + "\" in the configuration"};
}

}  // namespace

result<storage::lock_record> engine::lock(std::string_view app, std::string_view reason,
                                          const actor& who) {
  if (!cfg_->find_app(app)) return unknown_app(app);
  if (reason.empty() || reason.size() > 500 ||
      std::any_of(reason.begin(), reason.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return failure{failure::kind::invalid, "invalid_reason",
                   "a lock needs a reason of 1 to 500 characters on one line, e.g. "
                   "\"release freeze\""};
  }
  storage::lock_repository locks(db_);
  auto held = locks.try_acquire(app, "manual", who.name, reason, std::nullopt);
  if (held) {
    return failure{failure::kind::conflict, "lock_held",
                   "app \"" + std::string(app) + "\" is already locked by " + held->holder +
                       " since " + held->acquired_at + " (" + held->reason.value_or("") +
                       "); unlock it first"};
  }
  record(who, "app.lock", app, reason);
  return *locks.find(app, "manual");
}

result<storage::lock_record> engine::unlock(std::string_view app, const actor& who) {
  if (!cfg_->find_app(app)) return unknown_app(app);
  storage::lock_repository locks(db_);
  auto held = locks.find(app, "manual");
  if (!held || !locks.release(app, "manual")) {
    return failure{failure::kind::not_found, "not_locked",
                   "app \"" + std::string(app) + "\" is not locked"};
  }
  record(who, "app.unlock", app, "was locked by " + held->holder);
  return *held;
}

}  // namespace bluegreen::engine
