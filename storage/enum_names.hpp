// enum_names looks an enum up in its table of stored names, both ways, so
// that each enum the database spells as text is one table.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace bluegreen::storage {

template <typename E, std::size_t N>
using name_table = std::array<std::pair<E, std::string_view>, N>;

// The name of `value`; "unknown" for a value missing from the table.
template <typename E, std::size_t N>
constexpr std::string_view name_in(const name_table<E, N>& table, E value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "unknown";
}

// The value named `text`; nothing for a name missing from the table.
template <typename E, std::size_t N>
constexpr std::optional<E> value_in(const name_table<E, N>& table, std::string_view text) {
  for (const auto& [v, name] : table)
    if (name == text) return v;
  return std::nullopt;
}

}  // namespace bluegreen::storage
