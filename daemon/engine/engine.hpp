// engine is the daemon's core: it holds the current configuration and the
// state database and answers what the API asks of apps, operations and the
// audit log. Operations (deploy, switch, rollback) are added on top of it.
//
// Thread-safety: all calls on the io_context thread that owns the database.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/engine/result.hpp"
#include "storage/app_state_repository.hpp"
#include "storage/audit_repository.hpp"
#include "storage/lock_repository.hpp"

namespace bluegreen::storage {
class database;
}

namespace bluegreen::engine {

// One app as the API shows it: its configuration and what is stored about it.
struct app_view {
  std::shared_ptr<const daemon::config> cfg;  // keeps `app` alive
  const daemon::app_config* app = nullptr;
  storage::app_record state;
  std::optional<storage::lock_record> operation_lock;
  std::optional<storage::lock_record> manual_lock;
};

// Who asked for something, for the audit log.
struct actor {
  std::string name;     // token name, Slack user, GitHub delivery, "system"
  std::string channel;  // api, cli, slack, github, signal, system
};

class engine {
 public:
  engine(std::shared_ptr<const daemon::config> cfg, storage::database& db);

  std::shared_ptr<const daemon::config> current_config() const { return cfg_; }
  // Replaces the configuration (SIGHUP); running work keeps the config it
  // started with.
  void reload(std::shared_ptr<const daemon::config> cfg, const actor& who);

  std::vector<app_view> apps();
  std::optional<app_view> app(std::string_view name);
  std::vector<storage::audit_event> events(int limit, std::optional<std::int64_t> before_id,
                                           std::optional<std::string_view> app);
  void record(const actor& who, std::string_view action, std::optional<std::string_view> app,
              std::optional<std::string_view> detail);

  // The manual lock (release freeze): blocks deploys and switches, never
  // rollbacks, until unlocked. The holder is the actor.
  result<storage::lock_record> lock(std::string_view app, std::string_view reason,
                                    const actor& who);
  result<storage::lock_record> unlock(std::string_view app, const actor& who);

 private:
  app_view view_of(const daemon::app_config& app, storage::app_record state);
  void ensure_app_rows(const daemon::config& cfg);

  std::shared_ptr<const daemon::config> cfg_;
  storage::database& db_;
};

}  // namespace bluegreen::engine
