// Value types of the SSH runner: where to connect, what to run, what came
// back. Value types, thread-safe to copy.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::ssh {

struct destination {
  std::string user;  // empty: the daemon's own user name
  std::string host;  // empty: this machine, without SSH
  std::uint16_t port = 22;

  bool is_local() const { return host.empty(); }

  // "user@host" or "user@[host]:port", for logs and results.
  std::string label() const;
};

struct options {
  std::filesystem::path known_hosts;
  std::optional<std::filesystem::path> identity;  // private key file
  bool use_agent = false;                         // ssh-agent via $SSH_AUTH_SOCK
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds keepalive{30'000};  // 0: none
};

enum class error_kind {
  none,
  connect_failed,
  auth_failed,
  host_key_unknown,
  host_key_changed,
  timeout,
  cancelled,
  channel_error,
};
std::string_view to_string(error_kind kind);

// An environment variable for the remote command. Values travel on the
// channel's stdin, never on the command line; secret values are replaced by
// "***" in every output line.
struct env_var {
  std::string name;
  std::string value;
  bool secret = false;
};

// Which of the runner's pools runs a job. Traffic changes (switch,
// rollback, the watch's switch back) have a small pool of their own, so
// long deploy steps of other apps can never make them wait.
enum class lane { steps, traffic };

struct job {
  destination to;
  std::string command;  // run by the remote user's shell through sh -c
  std::vector<env_var> env;
  std::chrono::milliseconds timeout{600'000};
  ssh::lane lane = lane::steps;
  // Connect, check the host key and log in, then stop: no command runs.
  bool connect_only = false;
  // Given to the remote command's environment as BLUEGREEN_OPERATION, so
  // that whatever it leaves running can be found and stopped later.
  std::string marker;
};

struct job_result {
  destination host;
  error_kind error = error_kind::none;
  std::string message;  // for people; empty when the command ran and exited
  std::optional<int> exit_code;
  std::optional<std::string> exit_signal;  // e.g. "KILL"
  std::chrono::milliseconds elapsed{0};

  bool ok() const { return error == error_kind::none && exit_code == 0; }
  // One line saying how it ended: "exit 0", "killed by SIGKILL", the error.
  std::string summary() const;
};

enum class stream { out, err };

struct output_line {
  std::string host;  // destination label
  stream from = stream::out;
  std::string text;  // without the newline; secrets redacted
  std::chrono::system_clock::time_point at;
};

// Receives output in batches, in order per host.
using line_sink = std::function<void(std::vector<output_line>&&)>;

}  // namespace bluegreen::ssh
