// colour names the two environments of an app. Value type, thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace bluegreen::daemon {

enum class colour { blue, green };

constexpr std::string_view to_string(colour c) { return c == colour::blue ? "blue" : "green"; }

constexpr colour other(colour c) { return c == colour::blue ? colour::green : colour::blue; }

constexpr std::optional<colour> parse_colour(std::string_view text) {
  if (text == "blue") return colour::blue;
  if (text == "green") return colour::green;
  return std::nullopt;
}

}  // namespace bluegreen::daemon
