#include "storage/operation_kind.hpp"

#include <array>
#include <utility>

namespace bluegreen::storage {

namespace {

constexpr std::array<std::pair<operation_kind, std::string_view>, 4> kNames = {{
    {operation_kind::deploy, "deploy"},
    {operation_kind::switch_traffic, "switch"},
    {operation_kind::rollback, "rollback"},
    {operation_kind::task, "task"},
}};

}  // namespace

std::string_view to_string(operation_kind kind) {
  for (const auto& [k, name] : kNames)
    if (k == kind) return name;
  return "unknown";
}

std::optional<operation_kind> parse_operation_kind(std::string_view text) {
  for (const auto& [k, name] : kNames)
    if (name == text) return k;
  return std::nullopt;
}

}  // namespace bluegreen::storage
