#include "tests/support/process_marker.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "tests/support/process.hpp"

namespace bluegreen::testing {

process_marker::process_marker() {
  std::random_device random;
  char value[40];
  std::snprintf(value, sizeof value, "%08x%08x%08x", random(), random(), random());
  assignment_ = std::string("BLUEGREEN_TEST_MARK=") + value;
}

bool process_marker::marks(pid_t pid, const std::string& command) const {
  if (command_line_of(std::to_string(pid)).rfind(command, 0) != 0) return false;
  std::string environment = proc_file(std::to_string(pid), "environ");
  size_t start = 0;
  while (start < environment.size()) {
    size_t end = environment.find('\0', start);
    if (end == std::string::npos) end = environment.size();
    if (environment.compare(start, end - start, assignment_) == 0) return true;
    start = end + 1;
  }
  return false;
}

std::vector<pid_t> process_marker::processes(const std::string& command) const {
  std::vector<pid_t> found;
  DIR* proc = opendir("/proc");
  if (!proc) return found;
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    pid_t pid = static_cast<pid_t>(std::stol(e->d_name));
    if (marks(pid, command)) found.push_back(pid);
  }
  closedir(proc);
  return found;
}

size_t process_marker::signal(int signo, const std::string& command) const {
  size_t sent = 0;
  for (pid_t pid : processes(command)) {
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) continue;
    // The pidfd pins the process: if it still carries the mark now, the
    // signal reaches that process and no other.
    if (marks(pid, command) && syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0) == 0)
      ++sent;
    close(pidfd);
  }
  return sent;
}

}  // namespace bluegreen::testing
