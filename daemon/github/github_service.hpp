// github_service acts on GitHub's push webhook below the API: each delivery
// id is acted on once (remembered in the state database, so also across
// restarts, for `keep_deliveries`), a push deploys its commit to the idle
// colour of the apps its repository and branch name, as the pusher (audit
// channel "github"), and the answer comes within `answer_within` (GitHub
// waits 10 s): deploys the engine has not answered by then go on in the
// daemon's task_group, and a refusal is recorded in the audit log whenever
// it comes. A push no app took (every deploy refused) is forgotten, so that
// its redelivery acts on it once the refusal's cause has passed.
//
// Thread-safety: the io thread that owns the engine and the database.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/github/push.hpp"
#include "storage/operation_repository.hpp"

namespace bluegreen::engine {
class engine;
class task_group;
}  // namespace bluegreen::engine
namespace bluegreen::storage {
class database;
}

namespace bluegreen::github {

struct service_options {
  std::chrono::milliseconds answer_within{5000};
  std::chrono::hours keep_deliveries{24 * 30};
  // How often remembered deliveries past their time are removed.
  std::chrono::minutes prune_every{60};
};

// What became of one app's deploy of a push, as far as known when answered.
struct deploy_outcome {
  enum class state { started, pending, refused };
  std::string app;
  state what = state::pending;
  std::optional<storage::operation_record> operation;  // started
  std::string code, message;                           // refused
};

// What a push did: nothing, for the reason in `ignored`, or its deploys.
struct push_outcome {
  std::string ignored;
  std::vector<deploy_outcome> deploys;
};

class github_service {
 public:
  github_service(engine::engine& engine, storage::database& db, engine::task_group& tasks,
                 service_options options);
  ~github_service();
  github_service(const github_service&) = delete;
  github_service& operator=(const github_service&) = delete;

  // True once the daemon stops: a push then deploys nothing and must not
  // be remembered.
  bool stopping() const;
  // False when `delivery` was already acted on (also before a restart).
  bool remember(const std::string& delivery);
  // Deploys `pushed` (of the remembered `delivery`) to the apps it names.
  boost::asio::awaitable<push_outcome> deploy(std::string delivery, push pushed);

 private:
  void forget(const std::string& delivery);

  engine::engine& engine_;
  storage::database& db_;
  engine::task_group& tasks_;
  service_options options_;
  std::optional<std::chrono::steady_clock::time_point> pruned_at_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bluegreen::github
