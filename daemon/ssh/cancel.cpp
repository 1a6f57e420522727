#include "daemon/ssh/cancel.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace bluegreen::ssh {

cancel_flag::cancel_flag() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::runtime_error("eventfd failed");
}

cancel_flag::~cancel_flag() { close(fd_); }

void cancel_flag::cancel() {
  if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = write(fd_, &one, sizeof one);
}

}  // namespace bluegreen::ssh
