// The service unit's hardening, as systemd itself scores it.
#include <gtest/gtest.h>

#include <regex>

#include "tests/support/process.hpp"

namespace {

TEST(SystemdUnit, SecurityExposureIsAtMostOnePointFive) {
  auto r = bluegreen::testing::run_command(
      {"/usr/bin/systemd-analyze", "security", "--offline=true",
       BLUEGREEN_SOURCE_DIR "/systemd/bluegreend.service"});
  std::string all = r.out + r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(all, m, std::regex("Overall exposure level for [^:]+: ([0-9.]+)")))
      << all;
  double exposure = std::stod(m[1]);
  EXPECT_LE(exposure, 1.5) << all;
}

}  // namespace
