#include "daemon/traffic/fanout_backend.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/ssh/runner.hpp"
#include "daemon/traffic/nginx_backend.hpp"

namespace bluegreen::traffic {
namespace {

namespace asio = boost::asio;
using daemon::colour;
using namespace std::chrono_literals;

const routing kBlue = routing::all_to(colour::blue);
const routing kGreen = routing::all_to(colour::green);

// A load balancer in memory: it routes as asked, or refuses as a test says.
class test_lb final : public backend {
 public:
  explicit test_lb(routing now) : now_(std::move(now)) {}

  bool supports_weights() const override { return true; }

  asio::awaitable<outcome> current(log_fn) override {
    ++reads;
    if (refuse_read) co_return *refuse_read;
    co_return now_;
  }

  asio::awaitable<outcome> route(routing target, log_fn log) override {
    int call = static_cast<int>(routed.size());
    routed.push_back(target);
    if (on_route) on_route();
    if (hold) co_await hold->async_wait(asio::as_tuple(asio::use_awaitable));
    if (refuse_route && call >= refuse_from_call) {
      if (changes_anyway) now_ = target;
      co_return *refuse_route;
    }
    now_ = target;
    if (log) log("routed " + target.describe());
    co_return now_;
  }

  const routing& now() const { return now_; }
  void set(routing now) { now_ = std::move(now); }  // changed by hand

  std::optional<daemon::failure> refuse_read;
  std::optional<daemon::failure> refuse_route;
  int refuse_from_call = 0;     // refuse this call (0: the first) and later ones
  bool changes_anyway = false;  // refusing, it has changed all the same
  std::function<void()> on_route;
  asio::steady_timer* hold = nullptr;  // route() waits for it first
  int reads = 0;
  std::vector<routing> routed;

 private:
  routing now_;
};

class FanOut : public ::testing::Test {
 protected:
  std::shared_ptr<test_lb> add(const std::string& name, routing now) {
    auto lb = std::make_shared<test_lb>(std::move(now));
    members_.push_back({name, lb});
    return lb;
  }

  outcome call(std::function<asio::awaitable<outcome>(backend&, log_fn)> step) {
    fanout_backend fan(members_);
    std::optional<outcome> out;
    log_fn log = [this](const std::string& line) { log_.push_back(line); };
    auto run = [&]() -> asio::awaitable<void> {
      auto r = co_await step(fan, log);
      out = std::move(r);
    };
    asio::co_spawn(io_, run(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io_.run();
    io_.restart();
    if (!out) throw std::runtime_error("the fan-out did not finish");
    return std::move(*out);
  }
  outcome route(routing target) {
    return call([target](backend& b, log_fn log) { return b.route(target, log); });
  }
  outcome current() {
    return call([](backend& b, log_fn log) { return b.current(log); });
  }
  // current_each(): what each member answered, beside what current() says.
  readings current_each() {
    std::optional<readings> seen;
    call([&seen](backend& b, log_fn log) -> asio::awaitable<outcome> {
      auto r = co_await b.current_each(log);
      seen = r;
      co_return r.combined;
    });
    return std::move(*seen);
  }

  asio::io_context io_;
  std::vector<fanout_backend::member> members_;
  std::vector<std::string> log_;
};

TEST_F(FanOut, ASwitchChangesEveryLoadBalancer) {
  auto lb1 = add("lb1", kBlue);
  auto lb2 = add("lb2", kBlue);
  auto r = route(kGreen);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), kGreen);
  EXPECT_EQ(lb1->now(), kGreen);
  EXPECT_EQ(lb2->now(), kGreen);
  EXPECT_EQ(lb1->routed.size(), 1u);
  EXPECT_EQ(lb2->routed.size(), 1u);
  // Each line of a load balancer's log says which one it is.
  EXPECT_NE(std::find(log_.begin(), log_.end(), "lb2: routed green"), log_.end());
}

TEST_F(FanOut, WhenOneRefusesTheOthersArePutBack) {
  auto lb1 = add("lb1", kBlue);
  auto lb2 = add("lb2", kBlue);
  auto lb3 = add("lb3", kBlue);
  lb2->refuse_route = backend_failure("backend_failed",
                                      "`nginx -t` refused the new upstream file; the previous "
                                      "file is back in place",
                                      "nginx: [emerg] unexpected \"}\"");
  auto r = route(kGreen);
  ASSERT_FALSE(r);
  const auto& f = r.error();
  EXPECT_EQ(f.code, "backend_failed");
  EXPECT_NE(f.message.find("load balancer lb2 refused: `nginx -t` refused the new upstream file"),
            std::string::npos)
      << f.message;
  EXPECT_NE(f.message.find("lb1 was put back to blue"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("lb3 was put back to blue"), std::string::npos) << f.message;
  // The command's output is for the logs, never the message.
  EXPECT_EQ(f.message.find("emerg"), std::string::npos);
  EXPECT_NE(f.detail.find("lb2: nginx: [emerg]"), std::string::npos) << f.detail;
  EXPECT_EQ(lb1->now(), kBlue);
  EXPECT_EQ(lb2->now(), kBlue);
  EXPECT_EQ(lb3->now(), kBlue);
  EXPECT_EQ(lb1->routed, (std::vector<routing>{kGreen, kBlue}));
  // The one that refused left itself as it was: it is not touched again.
  EXPECT_EQ(lb2->routed, (std::vector<routing>{kGreen}));
}

TEST_F(FanOut, OneThatRefusedButChangedIsPutBackToo) {
  auto lb1 = add("lb1", kBlue);
  auto lb2 = add("lb2", kBlue);
  lb2->refuse_route = backend_failure("not_applied", "after the reload it routes elsewhere");
  lb2->refuse_from_call = 0;
  lb2->changes_anyway = true;
  auto r = route(kGreen);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "not_applied");
  // Its put-back is refused as well (refuse_from_call 0): the message says so.
  EXPECT_NE(r.error().message.find("lb2 could not be put back to blue"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("lb1 was put back to blue"), std::string::npos);
  EXPECT_EQ(lb2->routed, (std::vector<routing>{kGreen, kBlue}));
  EXPECT_EQ(lb1->now(), kBlue);
}

TEST_F(FanOut, APutBackThatFailsIsNamed) {
  auto lb1 = add("lb1", kBlue);
  auto lb2 = add("lb2", kBlue);
  lb1->refuse_route = backend_failure("backend_failed", "cannot connect to root@lb1");
  lb1->refuse_from_call = 1;  // the switch works, putting it back does not
  lb2->refuse_route = backend_failure("backend_failed", "`nginx -s reload` failed");
  auto r = route(kGreen);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("load balancer lb2 refused: `nginx -s reload` failed"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(
                "lb1 could not be put back to blue (cannot connect to root@lb1): check it by hand"),
            std::string::npos)
      << r.error().message;
}

TEST_F(FanOut, NothingChangesWhenALoadBalancerCannotBeRead) {
  auto lb1 = add("lb1", kBlue);
  auto lb2 = add("lb2", kBlue);
  lb2->refuse_read = backend_failure("backend_failed", "cannot read the upstream file");
  auto r = route(kGreen);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "nothing was changed: load balancer lb2: cannot read the upstream file");
  EXPECT_TRUE(lb1->routed.empty());
  EXPECT_TRUE(lb2->routed.empty());
}

TEST_F(FanOut, ARoutingOfNeitherColourIsRepairedButCannotBePutBack) {
  auto lb1 = add("lb1", kBlue);
  auto lb2 = add("lb2", kBlue);
  auto lb3 = add("lb3", kBlue);
  lb1->refuse_read = backend_failure("routing_unknown", "the upstream file routes to neither");
  auto fine = route(kGreen);
  ASSERT_TRUE(fine) << fine.error().message;
  EXPECT_EQ(lb1->now(), kGreen);

  lb3->refuse_route = backend_failure("backend_failed", "`nginx -t` refused");
  auto r = route(kBlue);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("lb1 was changed and is left so"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("lb2 was put back to green"), std::string::npos);
}

TEST_F(FanOut, ReadingRequiresEveryLoadBalancerToAgree) {
  auto lb1 = add("lb1", kBlue);
  auto lb2 = add("lb2", kBlue);
  auto same = current();
  ASSERT_TRUE(same);
  EXPECT_EQ(same.value(), kBlue);

  lb2->set(kGreen);
  auto r = current();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "load_balancers_disagree");
  EXPECT_EQ(r.error().message,
            "the load balancers disagree: lb1 routes to blue; lb2 routes to green");
}

TEST_F(FanOut, AFailedReadNamesTheLoadBalancer) {
  add("lb1", kBlue);
  auto lb2 = add("lb2", kBlue);
  lb2->refuse_read =
      backend_failure("backend_failed", "cannot reach root@lb2", "Connection refused");
  auto r = current();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "backend_failed");
  EXPECT_EQ(r.error().message, "load balancer lb2: cannot reach root@lb2");
  EXPECT_EQ(r.error().detail, "lb2: Connection refused");
}

TEST_F(FanOut, EachLoadBalancerIsShownBesideWhatTheyAgreeOn) {
  add("lb1", kBlue);
  auto lb2 = add("lb2", kBlue);
  auto lb3 = add("lb3", kBlue);
  lb2->set(kGreen);
  lb3->refuse_read = backend_failure("backend_failed", "cannot reach root@lb3");
  auto r = current_each();
  ASSERT_EQ(r.each.size(), 3u);
  EXPECT_EQ(r.each[0].value(), kBlue);
  EXPECT_EQ(r.each[1].value(), kGreen);
  EXPECT_EQ(r.each[2].error().message, "cannot reach root@lb3");
  // The same reads make what current() answers: nothing is read twice.
  EXPECT_EQ(r.combined.error().message, "load balancer lb3: cannot reach root@lb3");
  EXPECT_EQ(lb2->reads, 1);
  lb3->refuse_read.reset();
  lb2->set(kBlue);
  r = current_each();
  ASSERT_TRUE(r.combined);
  EXPECT_EQ(r.combined.value(), kBlue);
  EXPECT_EQ(r.each.size(), 3u);
}

TEST(CurrentEach, OneLoadBalancerIsItsOwnOnlyReading) {
  test_lb one(kGreen);
  asio::io_context io;
  std::optional<readings> seen;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        log_fn quiet;
        seen = co_await one.current_each(quiet);
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  ASSERT_TRUE(seen);
  ASSERT_TRUE(seen->combined);
  EXPECT_EQ(seen->combined.value(), kGreen);
  ASSERT_EQ(seen->each.size(), 1u);
  EXPECT_EQ(seen->each[0].value(), kGreen);
  EXPECT_EQ(one.reads, 1);
}

TEST_F(FanOut, LoadBalancersChangeAtOnce) {
  auto lb1 = add("lb1", kBlue);
  auto lb2 = add("lb2", kBlue);
  // lb1's change waits until lb2's has begun (or the deadline): one after
  // the other, lb2 would begin only after lb1 had ended.
  asio::steady_timer gate(io_);
  gate.expires_after(30s);
  bool second_began_meanwhile = false;
  lb1->hold = &gate;
  lb2->on_route = [&] {
    second_began_meanwhile = lb1->routed.size() == 1;
    gate.cancel();
  };
  auto r = route(kGreen);
  ASSERT_TRUE(r);
  EXPECT_TRUE(second_began_meanwhile);
}

TEST(MakeBackend, OneLoadBalancerIsItsBackendAloneAndSeveralAreAFanOut) {
  daemon::app_config app;
  app.name = "web";
  daemon::nginx_backend nginx;
  nginx.upstream_file = "/etc/nginx/web.conf";
  nginx.upstream_name = "web";
  asio::io_context io;
  ssh::runner runner{io, ssh::options{}, 1};
  app.traffic.load_balancers = {{"local", nginx}};
  auto single = make_backend(app, runner);
  EXPECT_NE(dynamic_cast<nginx_backend*>(single.get()), nullptr);

  app.traffic.load_balancers = {{"lb1", nginx}, {"lb2", nginx}};
  auto fan = make_backend(app, runner);
  EXPECT_NE(dynamic_cast<fanout_backend*>(fan.get()), nullptr);
  EXPECT_TRUE(fan->supports_weights());
}

}  // namespace
}  // namespace bluegreen::traffic
