// A child process for tests: started with arguments and environment, its
// stdout and stderr collected by a reader thread (so a chatty child never
// blocks on a full pipe), waited for with deadlines, and killed in the
// destructor if still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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
  // Waits until a line of stderr not returned before contains `needle`;
  // returns that line.
  std::optional<std::string> wait_for_stderr(const std::string& needle,
                                             std::chrono::milliseconds deadline);
  // The same for stdout.
  std::optional<std::string> wait_for_stdout(const std::string& needle,
                                             std::chrono::milliseconds deadline);
  // Waits for exit; returns the exit status (or 128+signal), nullopt on deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds deadline);
  std::string stderr_text() const;
  std::string stdout_text() const;

 private:
  void read_loop();
  void stop_reader();
  std::optional<std::string> wait_for(const std::string& text, size_t& scanned,
                                      const std::string& needle,
                                      std::chrono::milliseconds deadline);

  pid_t pid_ = -1;
  int pid_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string out_;
  std::string err_;
  bool pipes_closed_ = false;
  size_t err_scanned_ = 0;
  size_t out_scanned_ = 0;
  std::optional<int> status_;
};

// The command line of process `pid` with NULs as spaces, or "" when it has
// gone (processes come and go while a test looks).
std::string command_line_of(const std::string& pid);
// /proc/PID/FILE as it is; "" when the process has gone or is not ours.
std::string proc_file(const std::string& pid, const char* file);

// Runs a command to completion (deadline 60 s) and returns exit status and output.
struct run_result {
  int status = -1;
  std::string out;
  std::string err;
};
run_result run_command(const std::vector<std::string>& argv,
                       const std::vector<std::string>& extra_env = {});

}  // namespace bluegreen::testing
