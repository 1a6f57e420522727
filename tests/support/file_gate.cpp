#include "tests/support/file_gate.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace bluegreen::testing {

file_gate::file_gate(std::filesystem::path file) : file_(std::move(file)) {
  fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0 || flock(fd_, LOCK_EX) != 0)
    throw std::runtime_error("cannot close the gate " + file_.string() + ": " +
                             std::strerror(errno));
}

file_gate::~file_gate() { open(); }

void file_gate::open() {
  if (fd_ < 0) return;
  ::close(fd_);  // releases the lock
  fd_ = -1;
}

std::string file_gate::wait_command() const { return "flock -s '" + file_.string() + "' true"; }

}  // namespace bluegreen::testing
