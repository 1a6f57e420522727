// run_shell runs one shell command for a traffic backend, on this machine
// or over SSH, and collects its output. Thread-safety: co_await on the
// io_context's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/ssh/types.hpp"

namespace bluegreen::ssh {
class runner;
}

namespace bluegreen::traffic {

struct shell_output {
  ssh::job_result result;
  std::string out;                  // stdout, lines joined with '\n'
  std::vector<std::string> errors;  // stderr lines
  // The last stderr lines, for an error message.
  std::string error_tail(size_t lines = 5) const;
};

// The last `count` of `lines`, joined with " | ", for an error message.
std::string last_lines(const std::vector<std::string>& lines, size_t count = 5);

ssh::destination destination_of(const daemon::ssh_target& target);

boost::asio::awaitable<shell_output> run_shell(ssh::runner& runner,
                                               const std::optional<daemon::ssh_target>& host,
                                               std::string command);

}  // namespace bluegreen::traffic
