// The engine's supervisor: an operation whose code throws, before or after
// it was accepted, ends as failed with the reason, and frees its app. The
// traffic backend is the test's own, so nothing leaves the process.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>

#include "daemon/config.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/traffic/backend.hpp"
#include "daemon/traffic/fanout_backend.hpp"
#include "storage/database.hpp"
#include "storage/lock_repository.hpp"
#include "storage/operation_repository.hpp"
#include "storage/switch_intent_repository.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen {
namespace {

namespace asio = boost::asio;
using daemon::colour;

// A load balancer that routes to blue and fails as the test says: by
// throwing, which no backend is meant to do.
class exploding_backend final : public traffic::backend {
 public:
  bool throw_on_current = false;
  bool throw_on_route = true;
  int routes = 0;

  bool supports_weights() const override { return false; }
  traffic::routing now = traffic::routing::all_to(colour::blue);

  asio::awaitable<traffic::outcome> current(traffic::log_fn) override {
    if (throw_on_current) throw std::runtime_error("current exploded");
    co_return now;
  }
  asio::awaitable<traffic::outcome> route(traffic::routing target, traffic::log_fn) override {
    ++routes;
    if (throw_on_route) throw std::runtime_error("route exploded");
    now = target;
    co_return target;
  }
};

// The engine over a state database in a temp directory, with the test's
// backend.
class engine_stack {
 public:
  engine_stack() {
    auto file = dir_.write("bluegreen.toml", R"(
[server]
listen = "127.0.0.1:0"
state_dir = ")" + (dir_ / "state").string() + R"("
[ssh]
known_hosts = ")" + (dir_ / "known_hosts").string() +
                                                 R"("
use_agent = true
# The tests run the loop until nothing is left to do: no reality loop.
[reality]
interval = 0
[[app]]
name = "demo"
public_url = "http://127.0.0.1:9"
  [app.blue]
  hosts = ["deploy@127.0.0.2"]
  url = "http://127.0.0.2:9"
  identity = "blue"
  [app.green]
  hosts = ["deploy@127.0.0.3"]
  url = "http://127.0.0.3:9"
  identity = "green"
  [app.deploy]
  steps = ["true"]
  resolve = "echo {ref}"
  [app.traffic]
  backend = "command"
  switch_command = "false"
  current_command = "false"
)");
    auto loaded = daemon::load_config(file);
    if (!loaded.value) throw std::runtime_error("invalid test config");
    std::string error;
    db_ = storage::database::open(dir_ / "state.db", {}, error);
    if (!db_) throw std::runtime_error(error);
    runner_ = std::make_unique<ssh::runner>(io_, ssh::options{}, 2);
    backend_ = std::make_shared<exploding_backend>();
    serving_ = backend_;
    engine::backend_factory make = [this](const daemon::app_config&, ssh::runner&) {
      return serving_;
    };
    cfg_ = loaded.value;
    core_ = std::make_unique<engine::engine>(io_, cfg_, *db_, *runner_, make);
  }

  engine::result<storage::operation_record> switch_to_green() {
    std::optional<engine::result<storage::operation_record>> out;
    engine::switch_request req;
    req.to = colour::green;
    req.force = true;
    auto ask =
        [](engine::engine& core, engine::switch_request req,
           std::optional<engine::result<storage::operation_record>>& out) -> asio::awaitable<void> {
      std::string app = "demo";
      engine::actor who{"tester", "api"};
      auto r = co_await core.switch_traffic(app, req, who);
      out.emplace(std::move(r));
    };
    asio::co_spawn(io_, ask(*core_, req, out), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io_.restart();
    while (!out && io_.run_one_for(std::chrono::seconds(10)) > 0) {
    }
    if (!out) throw std::runtime_error("the switch was never answered");
    return std::move(*out);
  }

  // A new engine on the same database and backend, as after a restart, with
  // its recovery run to the end.
  static void restart_on(engine_stack& s) {
    s.core_.reset();
    s.io_.restart();
    engine::backend_factory make = [&s](const daemon::app_config&, ssh::runner&) {
      return s.serving_;
    };
    s.core_ = std::make_unique<engine::engine>(s.io_, s.cfg_, *s.db_, *s.runner_, make);
    s.core_->recover();
    s.io_.run();
  }

  // Runs the loop until operation `id` has ended; its final record.
  storage::operation_record ended(std::int64_t id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    io_.restart();
    while (std::chrono::steady_clock::now() < deadline) {
      auto op = core_->operation(id);
      if (op && storage::is_terminal_state(op->state)) return *op;
      if (io_.run_one_for(std::chrono::milliseconds(100)) == 0) io_.restart();
    }
    throw std::runtime_error("operation #" + std::to_string(id) + " never ended");
  }

  testing::temp_dir dir_;
  asio::io_context io_;
  std::shared_ptr<const daemon::config> cfg_;
  std::unique_ptr<storage::database> db_;
  std::unique_ptr<ssh::runner> runner_;
  std::shared_ptr<exploding_backend> backend_;
  std::shared_ptr<traffic::backend> serving_;  // what the engine talks to: backend_ by default
  std::unique_ptr<engine::engine> core_;
};

class Supervision : public ::testing::Test, protected engine_stack {};

TEST_F(Supervision, AThrowAfterAcceptanceEndsTheOperationFailedAndFreesTheApp) {
  auto accepted = switch_to_green();
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  auto op = ended(accepted.value().id);
  EXPECT_EQ(op.state, storage::operation_state::failed);
  EXPECT_EQ(op.error_code, "internal");
  ASSERT_TRUE(op.error);
  EXPECT_NE(op.error->find("route exploded"), std::string::npos) << *op.error;
  EXPECT_FALSE(core_->app("demo")->operation_lock);
  EXPECT_EQ(core_->running(), 0u);

  // The app is free: the next switch is accepted and, with a working
  // backend, succeeds.
  backend_->throw_on_route = false;
  auto again = switch_to_green();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(ended(again.value().id).state, storage::operation_state::succeeded);
  EXPECT_EQ(backend_->routes, 2);
}

TEST_F(Supervision, AThrowBeforeAcceptanceIsAnInternalErrorAndFreesTheApp) {
  backend_->throw_on_current = true;
  auto refused = switch_to_green();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().what, engine::failure::kind::internal);
  EXPECT_EQ(refused.error().message.find("current exploded"), std::string::npos)
      << "the client's message is not the log's";
  auto ops = core_->operations(std::string_view("demo"), 10, std::nullopt);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].state, storage::operation_state::failed);
  EXPECT_EQ(ops[0].error_code, "internal");
  ASSERT_TRUE(ops[0].error);
  EXPECT_NE(ops[0].error->find("current exploded"), std::string::npos) << *ops[0].error;
  EXPECT_FALSE(core_->app("demo")->operation_lock);
  EXPECT_EQ(core_->running(), 0u);
  EXPECT_EQ(backend_->routes, 0);
}

// What a crash at any commit of a switch leaves behind is a state the next
// start can trust: an ended operation never holds its app, a running one
// does, and recovery brings it all back to one truth.
TEST(CrashPoints, EveryCommitOfASwitchLeavesAConsistentState) {
  int commits = 0;
  {
    engine_stack counting;
    counting.backend_->throw_on_route = false;
    counting.db_->set_commit_gate([&] {
      ++commits;
      return true;
    });
    auto accepted = counting.switch_to_green();
    ASSERT_TRUE(accepted.ok()) << accepted.error().message;
    ASSERT_EQ(counting.ended(accepted.value().id).state, storage::operation_state::succeeded);
  }
  ASSERT_GT(commits, 2);
  for (int crash_at = 1; crash_at <= commits; ++crash_at) {
    SCOPED_TRACE("writes stop at commit " + std::to_string(crash_at) + " of " +
                 std::to_string(commits));
    engine_stack s;
    s.backend_->throw_on_route = false;
    int seen = 0;
    s.db_->set_commit_gate([&] { return ++seen < crash_at; });
    auto accepted = s.switch_to_green();
    // Run until the daemon has nothing left to do.
    s.io_.restart();
    s.io_.run();

    // What is on disk, read through a connection of its own.
    std::string error;
    storage::database_options read_only;
    read_only.migrate = false;
    auto disk = storage::database::open(s.dir_ / "state.db", read_only, error);
    ASSERT_TRUE(disk) << error;
    storage::operation_repository ops(*disk);
    storage::lock_repository locks(*disk);
    auto lock = locks.find("demo", "operation");
    for (const auto& op : ops.list(std::string_view("demo"), 100, std::nullopt)) {
      bool holds = lock && lock->operation_id == op.id;
      if (storage::is_terminal_state(op.state)) {
        EXPECT_FALSE(holds) << "operation #" << op.id << " is " << to_string(op.state)
                            << " but still holds the app";
      }
      if (op.state == storage::operation_state::running) {
        EXPECT_TRUE(holds) << "operation #" << op.id << " runs without holding the app";
      }
    }
    disk.reset();

    // The next start: recovery reconciles, and the app is free.
    s.db_->set_commit_gate({});
    engine_stack::restart_on(s);
    EXPECT_FALSE(s.core_->app("demo")->operation_lock);
    EXPECT_EQ(s.core_->running(), 0u);
    auto state = s.core_->app("demo")->state;
    ASSERT_TRUE(state.live);
    EXPECT_EQ(*state.live, s.backend_->routes > 0 ? "green" : "blue");
  }
}

// A crash in the middle of a switch of several load balancers leaves some
// changed and some not: the next start puts them all back to what served
// before the interrupted switch, and the app is not left in doubt.
TEST(CrashPoints, AnInterruptedSwitchOfSeveralLoadBalancersPutsThemAllBack) {
  engine_stack s;
  auto lb1 = std::make_shared<exploding_backend>();
  auto lb2 = std::make_shared<exploding_backend>();
  lb1->throw_on_route = lb2->throw_on_route = false;
  lb1->now = traffic::routing::all_to(colour::green);  // changed before the crash
  s.serving_ = std::make_shared<traffic::fanout_backend>(
      std::vector<traffic::fanout_backend::member>{{"lb1", lb1}, {"lb2", lb2}});
  storage::switch_intent_repository(*s.db_).create("demo", std::nullopt, "blue", "green",
                                                   "green:100");

  engine_stack::restart_on(s);
  EXPECT_EQ(lb1->now.encode(), "blue:100");
  EXPECT_EQ(lb2->now.encode(), "blue:100");
  auto app = s.core_->app("demo");
  ASSERT_TRUE(app->state.live);
  EXPECT_EQ(*app->state.live, "blue");
  EXPECT_FALSE(app->state.drifted);
  EXPECT_FALSE(app->recovering);
  EXPECT_TRUE(storage::switch_intent_repository(*s.db_).pending().empty());
}

}  // namespace
}  // namespace bluegreen
