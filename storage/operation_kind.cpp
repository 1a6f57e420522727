#include "storage/operation_kind.hpp"

#include "storage/enum_names.hpp"

namespace bluegreen::storage {

namespace {

constexpr name_table<operation_kind, 4> kNames = {{
    {operation_kind::deploy, "deploy"},
    {operation_kind::switch_traffic, "switch"},
    {operation_kind::rollback, "rollback"},
    {operation_kind::task, "task"},
}};

}  // namespace

std::string_view to_string(operation_kind kind) { return name_in(kNames, kind); }

std::optional<operation_kind> parse_operation_kind(std::string_view text) {
  return value_in(kNames, text);
}

}  // namespace bluegreen::storage
