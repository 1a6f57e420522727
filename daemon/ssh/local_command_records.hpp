// local_command_records: the local commands that are running, written down
// in a directory of the state directory (one owner-only file per command),
// so that a daemon started after a crash can end what its killed
// predecessor left running before it reconciles anything. execute_local
// makes every command the leader of its own session; a record names that
// session by the leader's PID, the boot id and the leader's start time, so
// neither a reused PID nor a reboot is mistaken for it.
// Thread-safe: the directory is set once at start-up, before any command
// runs; add and remove may then be called from any worker.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "daemon/result.hpp"

namespace bluegreen::ssh {

class local_command_records {
 public:
  // Records go to `dir` (created owner-only) from now on. Without a call,
  // nothing is recorded (tests of the runner alone). Fails (code
  // "records_unavailable") when the directory cannot be created.
  static daemon::result<void> use_directory(const std::filesystem::path& dir);

  // Records the command just started as session leader `pid`. Returns the
  // record's path, or "" when no directory is in use; a failure (code
  // "records_unavailable") when the record cannot be written (then the
  // command must not run).
  static daemon::result<std::filesystem::path> add(pid_t pid, const std::string& command);
  static void remove(const std::filesystem::path& record);

  struct ended {
    pid_t session = 0;
    std::string command;
    int processes = 0;    // processes of that session found running
    bool killed = false;  // some were still there after the grace period
  };
  // Ends every process of each recorded session that is still running:
  // SIGTERM, then SIGKILL to what is left after `grace`; waits (bounded)
  // until they are gone and removes the records. Blocks the caller.
  static std::vector<ended> end_leftovers(std::chrono::milliseconds grace);
};

}  // namespace bluegreen::ssh
