// Command-line parsing for bluegreend, as a pure function over argv so that
// it is tested without running anything.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "daemon/result.hpp"
#include "daemon/token_service.hpp"

namespace bluegreen::daemon {

// Exit codes, documented in docs/operations.md.
enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1,  // invalid configuration, failed command
  exit_usage = 2,    // bad command line
  exit_startup = 3,  // state database or listen address unusable
};

struct command_line {
  enum class command { run, check_config, token_create, token_list, token_revoke, help, version };
  command cmd = command::run;
  std::filesystem::path config_path = "/etc/bluegreen/bluegreen.toml";
  std::optional<std::string> log_level;  // overrides server.log_level
  std::string token_name;
  scope token_scope = scope::read;
};

// A bad command line is a failure (kind invalid, code "usage") whose message
// says what is wrong.
result<command_line> parse_command_line(const std::vector<std::string>& args);

std::string usage_text();

}  // namespace bluegreen::daemon
