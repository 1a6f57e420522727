// bluegreen: the command-line client of bluegreend's REST API. Reads the
// command line and the environment; cli/commands.cpp does the rest.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/arguments.hpp"
#include "cli/commands.hpp"
#include "cli/connection.hpp"

namespace {

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (!value) return std::nullopt;
  return std::string(value);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bluegreen::cli;
  auto parsed = parse_arguments(std::vector<std::string>(argv + 1, argv + argc));
  if (auto* error = std::get_if<usage_error>(&parsed)) {
    std::cerr << "bluegreen: " << error->message << std::endl;
    return exit_usage;
  }
  const auto& inv = std::get<invocation>(parsed);
  if (inv.cmd == command::help) {
    std::cout << usage_text(inv.help_topic);
    return exit_ok;
  }
  if (inv.cmd == command::version) {
    std::cout << "bluegreen " BLUEGREEN_VERSION << std::endl;
    return exit_ok;
  }
  if (inv.cmd == command::complete && !inv.operands.empty() && inv.operands[0] == "commands") {
    for (const auto& name : command_names()) std::cout << name << "\n";
    return exit_ok;
  }

  connection_sources sources{inv.url,
                             inv.token_file,
                             env("BLUEGREEN_URL"),
                             env("BLUEGREEN_TOKEN"),
                             env("XDG_CONFIG_HOME"),
                             env("HOME")};
  auto resolved = resolve_connection(sources);
  if (auto* problem = std::get_if<connection_problem>(&resolved)) {
    if (inv.cmd != command::complete) std::cerr << "bluegreen: " << problem->message << std::endl;
    return exit_usage;
  }
  const auto& where = std::get<connection>(resolved);
  if (!where.warning.empty() && inv.cmd != command::complete)
    std::cerr << "bluegreen: warning: " << where.warning << std::endl;
  output io{std::cout, std::cerr,
            style(colour_wanted(isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"),
                                std::getenv("TERM")))};
  return run_command(inv, where, io);
}
