// routing says where a load balancer sends an app's traffic: one colour
// (100%), or a weighted split between the two (a canary). Value type.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "daemon/colour.hpp"

namespace bluegreen::traffic {

struct routing {
  // Percent per colour; colours with 0% are absent. Sums to 100.
  std::map<daemon::colour, int> weights;

  static routing all_to(daemon::colour c) { return routing{{{c, 100}}}; }
  // The colour that takes all traffic, if one does.
  std::optional<daemon::colour> single() const;
  // "green" or "blue 90%, green 10%".
  std::string describe() const;
  // "blue:90,green:10" (for scripts and the state database).
  std::string encode() const;
  static std::optional<routing> decode(std::string_view text);

  bool operator==(const routing&) const = default;
};

}  // namespace bluegreen::traffic
