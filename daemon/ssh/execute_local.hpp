// execute_local runs a job's command on this machine (/bin/sh -c), with the
// same contract as execute(): streamed lines, timeout, cancel (the whole
// process group is stopped), exit code or signal. Used for traffic backends
// whose load balancer is local. Blocks the calling worker thread.
//
// local_command is the same in two halves, for a caller that knows a
// command is coming before it knows when: start() spawns the shell
// (posix_spawn), which then waits; run() lets it go and collects what it
// does, so the moment that matters pays for no process start, exec or
// dynamic linking.
// Thread-safety: one owner; start and run block the calling thread.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>

#include "daemon/result.hpp"
#include "daemon/ssh/cancel.hpp"
#include "daemon/ssh/types.hpp"

namespace bluegreen::ssh {

job_result execute_local(const job& j, const cancel_flag& cancel, const line_sink& sink);

class local_command {
 public:
  // The shell is running and recorded (local_command_records) but has run
  // nothing of `j`'s command yet. Fails (code "start_failed" or
  // "records_unavailable") when the shell cannot be started or recorded.
  static daemon::result<std::unique_ptr<local_command>> start(const job& j);
  // A command never run is ended: its shell sees the end of its go socket
  // and exits without running anything.
  ~local_command();
  local_command(const local_command&) = delete;
  local_command& operator=(const local_command&) = delete;

  pid_t pid() const { return pid_; }
  // Not run yet and its shell still there, waiting (not killed meanwhile).
  bool waiting() const;
  // Runs the command, once; its timeout counts from here.
  job_result run(const cancel_flag& cancel, const line_sink& sink);

 private:
  local_command() = default;

  job job_;
  pid_t pid_ = -1;
  int go_ = -1;
  int out_ = -1;
  int err_ = -1;
  std::filesystem::path record_;
  bool ran_ = false;     // run() was called
  bool reaped_ = false;  // its shell was waited for
};

}  // namespace bluegreen::ssh
