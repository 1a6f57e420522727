// The lock that keeps one daemon per state directory: a second claim fails
// with a code and a message saying who holds it and what to do.
#include "daemon/state_dir_lock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/temp_dir.hpp"

namespace bluegreen::daemon {
namespace {

TEST(StateDirLock, ASecondClaimFailsNamingTheHolder) {
  testing::temp_dir dir;
  {
    auto first = state_dir_lock::acquire(dir.path());
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ((*first)->path(), dir.path() / "bluegreend.lock");

    auto second = state_dir_lock::acquire(dir.path());
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().what, failure::kind::conflict);
    EXPECT_EQ(second.error().code, "state_dir_in_use");
    std::string lock_file = (dir.path() / "bluegreend.lock").string();
    EXPECT_EQ(second.error().message, "another bluegreend (PID " + std::to_string(getpid()) +
                                          ") holds the lock file " + lock_file + " and uses " +
                                          dir.path().string() +
                                          "; not starting. Stop that daemon first, or give this "
                                          "one another server.state_dir");
  }
  // The lock lasts as long as the object.
  EXPECT_TRUE(state_dir_lock::acquire(dir.path()));
}

TEST(StateDirLock, AnUnusableDirectoryFailsSayingWhatToDo) {
  testing::temp_dir dir;
  auto missing = state_dir_lock::acquire(dir.path() / "missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "lock_failed");
  EXPECT_EQ(missing.error().message,
            "cannot open the lock file " + (dir.path() / "missing" / "bluegreend.lock").string() +
                ": No such file or directory; the daemon's user must be able to write in " +
                (dir.path() / "missing").string());
}

}  // namespace
}  // namespace bluegreen::daemon
