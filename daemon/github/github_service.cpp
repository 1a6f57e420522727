#include "daemon/github/github_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>

#include "daemon/engine/engine.hpp"
#include "daemon/engine/task_group.hpp"
#include "daemon/github/push_plan.hpp"
#include "daemon/one_line_text.hpp"
#include "daemon/utc_time.hpp"
#include "storage/delivery_repository.hpp"

namespace bluegreen::github {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kSource = "github";

// Who the audit log names: the pusher and the delivery, so that an
// operation can be traced back to GitHub's "Recent Deliveries".
engine::actor actor_of(const push& pushed, const std::string& delivery) {
  std::string pusher = pushed.pusher.empty() ? "unknown pusher" : pushed.pusher;
  return {daemon::one_line_name(pusher, 100) + " (GitHub delivery " + delivery + ")", "github"};
}

// The deploys of one push: answered by the engine, or still waited for.
struct push_run {
  push_run(asio::any_io_executor ex, std::size_t apps) : answered(ex), outcomes(apps) {}
  asio::steady_timer answered;  // cancelled when the last deploy is answered
  std::size_t waiting = 0;
  std::vector<std::optional<engine::result<storage::operation_record>>> outcomes;
  // Called once every deploy is answered, when none was accepted.
  std::function<void()> none_accepted;
  bool settled = false;

  // Once nothing is waited for: wakes the answer, and forgets a push no
  // app took.
  void settle() {
    if (waiting > 0 || settled) return;
    settled = true;
    answered.cancel();
    bool accepted = false;
    for (const auto& outcome : outcomes) accepted = accepted || (outcome && *outcome);
    if (!accepted && none_accepted) none_accepted();
  }
};

asio::awaitable<void> deploy_pushed(engine::engine& engine, std::shared_ptr<push_run> run,
                                    std::size_t index, std::string app, std::string sha,
                                    engine::actor who) {
  // The engine's call runs to its end even when the daemon stops: the
  // engine's own stop decides what becomes of operations.
  co_await asio::this_coro::reset_cancellation_state(asio::disable_cancellation());
  engine::deploy_request req{sha, false};
  auto started = co_await engine.deploy(app, req, who);
  if (started) {
    spdlog::info("{}: deploying {} of {} as operation #{}", who.name, sha, app, started->id);
  } else {
    const auto& why = started.error();
    // Refusals happen before any operation exists: only this records them.
    engine.record(who, "github.push.refused", app,
                  "deploy of " + sha + " refused (" + why.code + "): " + why.message);
    spdlog::warn("{}: deploy of {} to {} refused ({}): {}", who.name, sha, app, why.code,
                 why.message);
  }
  run->outcomes[index] = std::move(started);
  --run->waiting;
  run->settle();
}

}  // namespace

github_service::github_service(engine::engine& engine, storage::database& db,
                               engine::task_group& tasks, service_options options)
    : engine_(engine), db_(db), tasks_(tasks), options_(options) {}

github_service::~github_service() { *alive_ = false; }

bool github_service::stopping() const { return tasks_.stopping(); }

bool github_service::remember(const std::string& delivery) {
  auto now = std::chrono::system_clock::now();
  std::string now_text = daemon::utc_text(now);
  storage::delivery_repository deliveries(db_);
  auto steady = std::chrono::steady_clock::now();
  if (!pruned_at_ || steady - *pruned_at_ >= options_.prune_every) {
    pruned_at_ = steady;
    if (auto removed = deliveries.remove_expired(now_text))
      spdlog::debug("forgot {} GitHub deliveries past their time", removed);
  }
  return deliveries.remember(kSource, delivery, now_text,
                             daemon::utc_text(now + options_.keep_deliveries));
}

void github_service::forget(const std::string& delivery) {
  storage::delivery_repository(db_).forget(kSource, delivery);
  spdlog::info("GitHub delivery {}: no app took the push; a redelivery acts on it", delivery);
}

asio::awaitable<push_outcome> github_service::deploy(std::string delivery, push pushed) {
  push_plan plan = plan_push(pushed, *engine_.current_config());
  if (plan.apps.empty()) co_return push_outcome{plan.ignored, {}};

  engine::actor who = actor_of(pushed, delivery);
  auto executor = co_await asio::this_coro::executor;
  auto run = std::make_shared<push_run>(executor, plan.apps.size());
  // A push no app took is forgotten, so that GitHub's "Redeliver" acts
  // on it once the refusal's cause (a lock, a restart) has passed.
  run->none_accepted = [this, alive = alive_, delivery] {
    if (*alive) forget(delivery);
  };
  std::vector<bool> spawned(plan.apps.size(), false);
  // Counted before spawning: a deploy the engine refuses at once ends
  // inside spawn().
  run->waiting = plan.apps.size();
  for (std::size_t i = 0; i < plan.apps.size(); ++i) {
    spawned[i] = tasks_.spawn("GitHub delivery " + delivery + ": deploy of " + plan.apps[i],
                              deploy_pushed(engine_, run, i, plan.apps[i], pushed.after, who));
    if (!spawned[i]) --run->waiting;
  }
  run->settle();
  // GitHub gives up after 10 s; the engine reads the load balancer
  // before it accepts, which may take a while. What is not answered
  // by then goes on, and its outcome reaches the audit log.
  run->answered.expires_after(options_.answer_within);
  if (run->waiting > 0) co_await run->answered.async_wait(use_tuple);

  push_outcome out;
  for (std::size_t i = 0; i < plan.apps.size(); ++i) {
    deploy_outcome d;
    d.app = plan.apps[i];
    const auto& outcome = run->outcomes[i];
    if (!spawned[i]) {
      d.what = deploy_outcome::state::refused;
      d.code = "stopping";
      d.message = "the daemon is stopping; redeliver once it is back";
    } else if (!outcome) {
      d.what = deploy_outcome::state::pending;
    } else if (*outcome) {
      d.what = deploy_outcome::state::started;
      d.operation = outcome->value();
    } else {
      d.what = deploy_outcome::state::refused;
      d.code = outcome->error().code;
      d.message = outcome->error().message;
    }
    out.deploys.push_back(std::move(d));
  }
  co_return out;
}

}  // namespace bluegreen::github
