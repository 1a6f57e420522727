// operation_state is where an operation stands (queued, running, ready,
// and the ends it never leaves). The state database and the API spell it
// as text; everything between holds the enum, converted only where the
// text is read or written.
//
// Thread-safety: pure values and functions.
#pragma once

#include <optional>
#include <string_view>

namespace bluegreen::storage {

enum class operation_state {
  queued,
  running,
  ready,  // a deploy that passed its smoke checks and waits to be switched to
  succeeded,
  failed,
  cancelled,
  interrupted,  // bluegreend stopped or restarted while it ran
  rolled_back,  // a switch whose watch switched back
};

// The state's name as stored and sent ("rolled_back").
std::string_view to_string(operation_state state);
// The state named `text`; nothing for a name this build does not know.
std::optional<operation_state> parse_operation_state(std::string_view text);

// True for the states an operation never leaves.
bool is_terminal_state(operation_state state);
// True while it may still run commands (queued, running); false once it
// waits to be switched to or has ended.
bool is_running_state(operation_state state);

}  // namespace bluegreen::storage
