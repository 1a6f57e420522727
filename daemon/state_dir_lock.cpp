#include "daemon/state_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bluegreen::daemon {

namespace {

// The PID the holder wrote, or "" (it may be between locking and writing).
std::string holder_pid(int fd) {
  char buffer[32] = {};
  ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
  std::string text = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return "";
  return text;
}

}  // namespace

result<std::unique_ptr<state_dir_lock>> state_dir_lock::acquire(
    const std::filesystem::path& state_dir) {
  auto path = state_dir / "bluegreend.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return failure{failure::kind::internal, "lock_failed",
                   "cannot open the lock file " + path.string() + ": " + std::strerror(errno) +
                       "; the daemon's user must be able to write in " + state_dir.string()};
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    failure refused;
    if (err == EWOULDBLOCK) {
      std::string pid = holder_pid(fd);
      refused =
          failure{failure::kind::conflict, "state_dir_in_use",
                  "another bluegreend" + (pid.empty() ? "" : " (PID " + pid + ")") +
                      " holds the lock file " + path.string() + " and uses " + state_dir.string() +
                      "; not starting. Stop that daemon first, or give this one another "
                      "server.state_dir"};
    } else {
      refused = failure{failure::kind::internal, "lock_failed",
                        "cannot lock " + path.string() + ": " + std::strerror(err)};
    }
    ::close(fd);
    return refused;
  }
  // Owner-only whoever made the file (an older daemon or another umask).
  struct stat st {};
  if (fstat(fd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 077) != 0) fchmod(fd, 0600);
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    failure unwritten{
        failure::kind::internal, "lock_failed",
        "cannot write to the lock file " + path.string() + ": " + std::strerror(errno)};
    ::close(fd);
    return unwritten;
  }
  return std::unique_ptr<state_dir_lock>(new state_dir_lock(fd, std::move(path)));
}

state_dir_lock::~state_dir_lock() { ::close(fd_); }

}  // namespace bluegreen::daemon
