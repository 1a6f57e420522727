// A local command started ahead of time (ssh::local_command): what the
// nginx backend does before a switch, so that the switch starts no process.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <string>
#include <vector>

#include "daemon/ssh/execute_local.hpp"
#include "daemon/ssh/local_command_records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace bluegreen;
using bluegreen::testing::eventually;
using bluegreen::testing::read_file;
using bluegreen::testing::temp_dir;

ssh::job job_of(const std::string& command) {
  ssh::job j;
  j.command = command;
  j.timeout = std::chrono::seconds(30);
  return j;
}

struct ran {
  ssh::job_result result;
  std::string out;
  std::string err;
};

ran run(ssh::local_command& c) {
  ran r;
  ssh::cancel_flag cancel;
  ssh::line_sink keep = [&r](std::vector<ssh::output_line>&& lines) {
    for (auto& l : lines) (l.from == ssh::stream::out ? r.out : r.err) += l.text + "\n";
  };
  r.result = c.run(cancel, keep);
  return r;
}

// The process is asleep (state S in /proc/PID/stat).
bool sleeping(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto end = stat.rfind(')');
  return end != std::string::npos && stat.size() > end + 2 && stat[end + 2] == 'S';
}

size_t records_in(const std::filesystem::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

// Each test records its commands in a directory of its own.
class LocalCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ssh::local_command_records::use_directory(dir_ / "records"));
  }
  temp_dir dir_;
};

TEST_F(LocalCommand, StartedAheadItRunsNothingUntilItIsRun) {
  auto started =
      ssh::local_command::start(job_of("echo ran > " + (dir_ / "ran").string() + "; echo done"));
  ASSERT_TRUE(started) << started.error().message;
  // Once the shell sleeps (blocked reading its go line), it has had every
  // chance to run the command too early.
  ASSERT_TRUE(eventually([&] { return sleeping(started.value()->pid()); }));
  EXPECT_TRUE(started.value()->waiting());
  // Recorded while it waits, so that a daemon killed now leaves nothing
  // unknown behind.
  EXPECT_EQ(records_in(dir_ / "records"), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "ran"));

  auto r = run(*started.value());
  EXPECT_TRUE(r.result.ok()) << r.result.summary() << r.err;
  EXPECT_EQ(r.out, "done\n");
  EXPECT_EQ(read_file(dir_ / "ran"), "ran\n");
  EXPECT_EQ(records_in(dir_ / "records"), 0u);
}

TEST_F(LocalCommand, AShellKilledWhileItWaitsIsNoLongerWaiting) {
  auto started = ssh::local_command::start(job_of("true"));
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_TRUE(started.value()->waiting());
  pid_t pid = started.value()->pid();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_TRUE(eventually([&] { return !started.value()->waiting(); }));
  // Looking did not reap it: the zombie is the destructor's to wait for,
  // so its PID cannot be reused before then.
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  EXPECT_EQ(stat.substr(stat.rfind(')') + 2, 1), "Z") << stat;
  started.value().reset();
  EXPECT_EQ(records_in(dir_ / "records"), 0u);
}

TEST_F(LocalCommand, OneNeverRunEndsWithoutRunningAnything) {
  {
    auto started = ssh::local_command::start(job_of("echo ran > " + (dir_ / "ran").string()));
    ASSERT_TRUE(started) << started.error().message;
    EXPECT_EQ(records_in(dir_ / "records"), 1u);
  }
  // The shell was waited for (its record goes only then) and ran nothing.
  EXPECT_EQ(records_in(dir_ / "records"), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "ran"));
}

TEST_F(LocalCommand, TheCommandSeesItsOwnLinesAndNoDescriptorOfTheWait) {
  // The shell's messages name the command's own line numbers, and the
  // socket the shell waited on is closed before the command runs.
  auto started = ssh::local_command::start(
      job_of("if [ -e /proc/$$/fd/3 ]; then echo fd3 open; else echo fd3 closed; fi\n"
             "no_such_command_of_bluegreen"));
  ASSERT_TRUE(started) << started.error().message;
  auto r = run(*started.value());
  EXPECT_EQ(r.result.exit_code, 127) << r.result.summary();
  EXPECT_EQ(r.out, "fd3 closed\n");
  EXPECT_NE(r.err.find("2: no_such_command_of_bluegreen: not found"), std::string::npos) << r.err;
}

TEST_F(LocalCommand, ACommandThatDoesNotParseSaysWhyWhenRun) {
  auto started = ssh::local_command::start(job_of("if true; then"));
  ASSERT_TRUE(started) << started.error().message;
  auto r = run(*started.value());
  EXPECT_EQ(r.result.error, ssh::error_kind::none) << r.result.summary();
  EXPECT_EQ(r.result.exit_code, 2);
  EXPECT_NE(r.err.find("Syntax error"), std::string::npos) << r.err;
}

TEST_F(LocalCommand, RunTwiceIsRefused) {
  auto started = ssh::local_command::start(job_of("true"));
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_TRUE(run(*started.value()).result.ok());
  auto again = run(*started.value());
  EXPECT_EQ(again.result.error, ssh::error_kind::channel_error);
}

}  // namespace
