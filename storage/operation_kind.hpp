// operation_kind is what an operation does. The state database and the API
// spell it as text; everything between holds the enum, converted only
// where the text is read or written.
//
// Thread-safety: pure values and functions.
#pragma once

#include <optional>
#include <string_view>

namespace bluegreen::storage {

enum class operation_kind {
  deploy,
  switch_traffic,  // "switch"
  rollback,
  task,
};

// The kind's name as stored and sent ("switch").
std::string_view to_string(operation_kind kind);
// The kind named `text`; nothing for a name this build does not know.
std::optional<operation_kind> parse_operation_kind(std::string_view text);

}  // namespace bluegreen::storage
