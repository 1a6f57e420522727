// An nginx on the daemon's own machine, tested and reloaded through the
// package's helper (nginx-control, and nginx-control-server started per
// connection as bluegreen-nginx.socket starts it): what the hardened unit
// uses instead of running nginx itself.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace {

using bluegreen::testing::read_file;
using bluegreen::testing::world;
using bluegreen::testing::world_options;

TEST(NginxHelper, SwitchesThroughTheHelperAndShowsNginxsOwnRefusal) {
  world w(world_options{.nginx_helper = true});
  w.commit_version("2.0.0");
  ASSERT_EQ(w.deploy("main")["state"], "ready");

  auto switched = w.switch_to();
  EXPECT_EQ(switched["state"], "succeeded") << w.log_text(switched["id"]);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");
  EXPECT_EQ(w.upstream_colour(), "green");

  // nginx refuses its configuration: the rollback fails, the operation's
  // log has nginx's own message, the file is put back and green serves on.
  std::filesystem::path conf = w.root() / "nginx/nginx.conf";
  std::string good = read_file(conf);
  std::ofstream(conf, std::ios::app) << "no_such_directive on;\n";
  std::string before = read_file(w.upstream_file());
  auto refused = w.rollback();
  EXPECT_EQ(refused["state"], "failed");
  std::string error = refused["error"];
  EXPECT_NE(error.find("refused the new upstream file"), std::string::npos) << error;
  std::string log = w.log_text(refused["id"]);
  EXPECT_NE(log.find("load balancer output: nginx: [emerg] unknown directive \"no_such_directive\""),
            std::string::npos)
      << log;
  EXPECT_EQ(read_file(w.upstream_file()), before);
  EXPECT_EQ(w.through_lb("/hostname"), "green-production");

  std::ofstream(conf, std::ios::trunc) << good;
  auto rolled = w.rollback();
  EXPECT_EQ(rolled["state"], "succeeded") << w.log_text(rolled["id"]);
  EXPECT_EQ(w.through_lb("/hostname"), "blue-production");
}

}  // namespace
