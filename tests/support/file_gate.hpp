// A gate that the shell scripts of a test wait at, without polling: while
// the test holds it (an exclusive flock on a file), `flock -s FILE true` in
// a script blocks; once opened, every waiter passes, and so does any that
// comes later. The lock is held on a close-on-exec descriptor, so no child
// of the test holds it on the test's behalf.
//
// Thread-safety: one thread at a time.
#pragma once

#include <filesystem>
#include <string>

namespace bluegreen::testing {

class file_gate {
 public:
  // Creates `file` and closes the gate.
  explicit file_gate(std::filesystem::path file);
  // Opens the gate, so no script is left waiting however the test ends.
  ~file_gate();
  file_gate(const file_gate&) = delete;
  file_gate& operator=(const file_gate&) = delete;

  void open();
  const std::filesystem::path& file() const { return file_; }
  // The shell command that waits until the gate is open.
  std::string wait_command() const;

 private:
  std::filesystem::path file_;
  int fd_ = -1;
};

}  // namespace bluegreen::testing
