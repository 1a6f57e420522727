// The command line of `bluegreen`, the REST API's command-line client: which
// command, its operands and options, read by a pure function so that every
// rule is tested without a server. A bad command line is a usage_error whose
// message says what is wrong and what to type instead (exit 2).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace bluegreen::cli {

enum class command {
  help,
  version,
  status,
  deploy,
  switch_,
  rollback,
  lock,
  unlock,
  cancel,
  logs,
  history,
  events,
  task,
  complete,  // hidden: `__complete apps`, for the shell completions
};

struct invocation {
  command cmd = command::help;
  std::vector<std::string> operands;  // APP, REF, REASON, ID, NAME: as the command takes them
  bool json = false;
  bool follow = false;
  bool no_watch = false;  // with follow: stop at the end, not after the watch
  bool force = false;
  std::optional<std::string> url;                    // --url
  std::optional<std::string> token_file;             // --token-file
  std::optional<std::string> to;                     // switch --to
  std::vector<std::pair<std::string, int>> weights;  // switch --weight COLOUR=PERCENT
  std::optional<std::string> on;                     // task --on
  int limit = 20;                                    // history, events --limit
  std::string help_topic;                            // `bluegreen help deploy`, `deploy --help`
};

struct usage_error {
  std::string message;
};

// argv without the program name.
std::variant<invocation, usage_error> parse_arguments(const std::vector<std::string>& args);

// The whole usage text, or one command's (by its name) when `topic` names one.
std::string usage_text(const std::string& topic = "");

// The command names, in the order the usage lists them (for completions).
std::vector<std::string> command_names();

}  // namespace bluegreen::cli
