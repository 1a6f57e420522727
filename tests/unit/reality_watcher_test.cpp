// The reality loop inside the engine, with the test's own load balancers:
// however many apps are due at once, no more than four are looked at
// together, and a stop ends the loops.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "daemon/config.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/traffic/backend.hpp"
#include "storage/database.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// How many load balancers are being read at this moment, and the most ever.
struct readings {
  int now = 0;
  int most = 0;
  std::map<std::string, int> per_app;
};

// Answers recovery's reading at once; every later one (the loop's) takes a
// second, like a slow load balancer: the latency being modelled, so that
// looks overlap. The test itself waits on conditions, never on this time.
class slow_backend final : public traffic::backend {
 public:
  slow_backend(asio::io_context& io, std::string app, readings& seen)
      : io_(io), app_(std::move(app)), seen_(seen) {}
  bool supports_weights() const override { return false; }
  asio::awaitable<traffic::outcome> current(traffic::log_fn) override {
    if (seen_.per_app[app_]++ > 0) {
      seen_.most = std::max(seen_.most, ++seen_.now);
      asio::steady_timer slow(io_, 1s);
      co_await slow.async_wait(asio::as_tuple(asio::use_awaitable));
      --seen_.now;
    }
    co_return traffic::routing::all_to(daemon::colour::blue);
  }
  asio::awaitable<traffic::outcome> route(traffic::routing target, traffic::log_fn) override {
    co_return target;
  }

 private:
  asio::io_context& io_;
  std::string app_;
  readings& seen_;
};

TEST(RealityLoop, NoMoreThanFourAppsAreLookedAtTogether) {
  testing::temp_dir dir;
  std::string text = "[server]\nstate_dir = \"" + (dir / "state").string() +
                     "\"\n[ssh]\nuse_agent = true\n[reality]\ninterval = \"100ms\"\n";
  constexpr int kApps = 6;
  for (int i = 0; i < kApps; ++i)
    text += "[[app]]\nname = \"app" + std::to_string(i) +
            "\"\npublic_url = \"http://127.0.0.1:9\"\n"
            "  [app.blue]\n  hosts = [\"deploy@127.0.0.2\"]\n  url = \"http://127.0.0.1:9\"\n"
            "  [app.green]\n  hosts = [\"deploy@127.0.0.3\"]\n  url = \"http://127.0.0.1:9\"\n"
            "  [app.deploy]\n  steps = [\"true\"]\n  resolve = \"echo {ref}\"\n"
            "  [app.traffic]\n  backend = \"command\"\n  switch_command = \"false\"\n"
            "  current_command = \"false\"\n";
  auto loaded = daemon::parse_config(text, dir / "bluegreen.toml");
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(loaded.value);
  std::string error;
  auto db = storage::database::open(dir / "state.db", {}, error);
  ASSERT_TRUE(db) << error;
  asio::io_context io;
  ssh::runner runner(io, ssh::options{}, 1);
  readings seen;
  engine::backend_factory make = [&](const daemon::app_config& app, ssh::runner&) {
    return std::shared_ptr<traffic::backend>(std::make_shared<slow_backend>(io, app.name, seen));
  };
  auto core = std::make_unique<engine::engine>(io, loaded.value, *db, runner, make);
  core->recover();

  // Until every app has been looked at (its second reading has ended).
  auto looked_at_all = [&] {
    for (int i = 0; i < kApps; ++i)
      if (seen.per_app["app" + std::to_string(i)] < 3) return false;
    return true;
  };
  auto give_up = std::chrono::steady_clock::now() + 60s;
  while (!looked_at_all() && std::chrono::steady_clock::now() < give_up) io.run_one_for(100ms);
  EXPECT_TRUE(looked_at_all());
  EXPECT_EQ(seen.most, 4);

  // A stop ends every loop: the loop runs out of work.
  bool idle = false;
  core->begin_stop([&] { idle = true; });
  io.restart();
  io.run_for(30s);  // returns as soon as nothing is left to do
  EXPECT_TRUE(io.stopped());
  EXPECT_TRUE(idle);
  core.reset();
}

}  // namespace
}  // namespace bluegreen
