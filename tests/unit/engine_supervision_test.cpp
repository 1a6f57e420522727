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
#include "storage/database.hpp"
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
  asio::awaitable<traffic::outcome> current(traffic::log_fn) override {
    if (throw_on_current) throw std::runtime_error("current exploded");
    co_return traffic::outcome::routed(traffic::routing::all_to(colour::blue));
  }
  asio::awaitable<traffic::outcome> route(traffic::routing target, traffic::log_fn) override {
    ++routes;
    if (throw_on_route) throw std::runtime_error("route exploded");
    co_return traffic::outcome::routed(target);
  }
};

class Supervision : public ::testing::Test {
 protected:
  Supervision() {
    auto file = dir_.write("bluegreen.toml", R"(
[server]
listen = "127.0.0.1:0"
state_dir = ")" + (dir_ / "state").string() + R"("
[ssh]
known_hosts = ")" + (dir_ / "known_hosts").string() +
                                                 R"("
use_agent = true
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
    engine::backend_factory make = [this](const daemon::app_config&, ssh::runner&) {
      return std::shared_ptr<traffic::backend>(backend_);
    };
    core_ = std::make_unique<engine::engine>(io_, loaded.value, *db_, *runner_, make);
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
  std::unique_ptr<storage::database> db_;
  std::unique_ptr<ssh::runner> runner_;
  std::shared_ptr<exploding_backend> backend_;
  std::unique_ptr<engine::engine> core_;
};

TEST_F(Supervision, AThrowAfterAcceptanceEndsTheOperationFailedAndFreesTheApp) {
  auto accepted = switch_to_green();
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  auto op = ended(accepted.value().id);
  EXPECT_EQ(op.state, "failed");
  ASSERT_TRUE(op.error);
  EXPECT_NE(op.error->find("route exploded"), std::string::npos) << *op.error;
  EXPECT_FALSE(core_->app("demo")->operation_lock);
  EXPECT_EQ(core_->running(), 0u);

  // The app is free: the next switch is accepted and, with a working
  // backend, succeeds.
  backend_->throw_on_route = false;
  auto again = switch_to_green();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(ended(again.value().id).state, "succeeded");
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
  EXPECT_EQ(ops[0].state, "failed");
  ASSERT_TRUE(ops[0].error);
  EXPECT_NE(ops[0].error->find("current exploded"), std::string::npos) << *ops[0].error;
  EXPECT_FALSE(core_->app("demo")->operation_lock);
  EXPECT_EQ(core_->running(), 0u);
  EXPECT_EQ(backend_->routes, 0);
}

}  // namespace
}  // namespace bluegreen
