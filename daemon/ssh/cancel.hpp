// cancel_flag lets one thread stop work that another thread is blocked in:
// cancel() sets the flag and wakes any poll() that watches fd().
//
// Thread-safety: cancel() and cancelled() from any thread.
#pragma once

#include <atomic>
#include <memory>

namespace bluegreen::ssh {

class cancel_flag {
 public:
  cancel_flag();
  ~cancel_flag();
  cancel_flag(const cancel_flag&) = delete;
  cancel_flag& operator=(const cancel_flag&) = delete;

  void cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Becomes readable once cancelled.
  int fd() const { return fd_; }

 private:
  std::atomic<bool> cancelled_{false};
  int fd_;
};

using cancel_handle = std::shared_ptr<cancel_flag>;
inline cancel_handle make_cancel_handle() { return std::make_shared<cancel_flag>(); }

}  // namespace bluegreen::ssh
