#include "storage/operation_state.hpp"

#include "storage/enum_names.hpp"

namespace bluegreen::storage {

namespace {

constexpr name_table<operation_state, 8> kNames = {{
    {operation_state::queued, "queued"},
    {operation_state::running, "running"},
    {operation_state::ready, "ready"},
    {operation_state::succeeded, "succeeded"},
    {operation_state::failed, "failed"},
    {operation_state::cancelled, "cancelled"},
    {operation_state::interrupted, "interrupted"},
    {operation_state::rolled_back, "rolled_back"},
}};

}  // namespace

std::string_view to_string(operation_state state) { return name_in(kNames, state); }

std::optional<operation_state> parse_operation_state(std::string_view text) {
  return value_in(kNames, text);
}

bool is_terminal_state(operation_state state) {
  switch (state) {
    case operation_state::queued:
    case operation_state::running:
    case operation_state::ready:
      return false;
    case operation_state::succeeded:
    case operation_state::failed:
    case operation_state::cancelled:
    case operation_state::interrupted:
    case operation_state::rolled_back:
      return true;
  }
  return false;
}

bool is_running_state(operation_state state) {
  return state == operation_state::queued || state == operation_state::running;
}

}  // namespace bluegreen::storage
