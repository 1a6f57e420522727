// A mark for the processes one test starts, so that the test finds and ends
// exactly those. Tests run in parallel (ctest -j, other checkouts on the
// same machine), so a command line such as "sleep 600" may well belong to
// another test; a random NAME=VALUE put into the environment of the
// commands a test runs (locally, or in the command line sent over SSH) is
// inherited by everything they start and tells them apart.
// Thread-safe: immutable once made; every call reads /proc afresh.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace bluegreen::testing {

class process_marker {
 public:
  process_marker();  // a fresh random value

  // NAME=VALUE: for an environment, or as a prefix of a shell command.
  const std::string& assignment() const { return assignment_; }
  // The marked processes whose command line (arguments joined by spaces)
  // starts with `command`; every marked process for "".
  std::vector<pid_t> processes(const std::string& command = "") const;
  // Sends `signo` to each of them; the mark is checked again through a
  // pidfd, so a pid reused meanwhile by someone else's process is spared.
  // Returns how many got it.
  size_t signal(int signo, const std::string& command = "") const;

 private:
  bool marks(pid_t pid, const std::string& command) const;

  std::string assignment_;
};

}  // namespace bluegreen::testing
