// A child process for tests: started with arguments and environment, its
// stderr (and stdout) captured through pipes, waited for with deadlines, and
// killed in the destructor if still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace bluegreen::testing {

class child_process {
 public:
  child_process(const std::vector<std::string>& argv,
                const std::vector<std::string>& extra_env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo);
  // Reads stderr until a line contains `needle`; returns that line.
  std::optional<std::string> wait_for_stderr(const std::string& needle,
                                             std::chrono::milliseconds deadline);
  // Waits for exit; returns the exit status (or 128+signal), nullopt on deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds deadline);
  const std::string& stderr_text() const { return err_; }
  const std::string& stdout_text() const { return out_; }

 private:
  void drain(int timeout_ms, bool watch_exit = true);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int pid_fd_ = -1;
  std::string out_;
  std::string err_;
  size_t err_scanned_ = 0;
  std::optional<int> status_;
};

// Runs a command to completion (deadline 60 s) and returns exit status and output.
struct run_result {
  int status = -1;
  std::string out;
  std::string err;
};
run_result run_command(const std::vector<std::string>& argv,
                       const std::vector<std::string>& extra_env = {});

}  // namespace bluegreen::testing
