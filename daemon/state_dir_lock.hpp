// state_dir_lock: the exclusive claim of one running daemon on its state
// directory (flock on state_dir/bluegreend.lock, which holds the holder's
// PID). Two daemons on one state.db would mark each other's operations
// interrupted and run two operations on one app; the second one must refuse
// before it touches anything. The lock lasts as long as the object (or the
// process). Not thread-safe; made once at start-up.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "daemon/result.hpp"

namespace bluegreen::daemon {

class state_dir_lock {
 public:
  // Takes the lock, or fails with a message for people: who holds it (PID)
  // and what to do (code "state_dir_in_use"; "lock_failed" when the lock
  // file cannot be opened, locked or written).
  static result<std::unique_ptr<state_dir_lock>> acquire(const std::filesystem::path& state_dir);
  ~state_dir_lock();
  state_dir_lock(const state_dir_lock&) = delete;
  state_dir_lock& operator=(const state_dir_lock&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  state_dir_lock(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}

  int fd_;
  std::filesystem::path path_;
};

}  // namespace bluegreen::daemon
