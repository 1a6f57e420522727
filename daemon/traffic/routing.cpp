#include "daemon/traffic/routing.hpp"

#include <cctype>

namespace bluegreen::traffic {

std::optional<daemon::colour> routing::single() const {
  if (weights.size() == 1 && weights.begin()->second == 100) return weights.begin()->first;
  return std::nullopt;
}

std::string routing::describe() const {
  if (auto c = single()) return std::string(daemon::to_string(*c));
  std::string out;
  for (const auto& [c, w] : weights)
    out += (out.empty() ? "" : ", ") + std::string(daemon::to_string(c)) + " " + std::to_string(w) + "%";
  return out.empty() ? "nothing" : out;
}

std::string routing::encode() const {
  std::string out;
  for (const auto& [c, w] : weights)
    out += (out.empty() ? "" : ",") + std::string(daemon::to_string(c)) + ":" + std::to_string(w);
  return out;
}

std::optional<routing> routing::decode(std::string_view text) {
  routing r;
  int total = 0;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    auto colon = part.find(':');
    std::optional<daemon::colour> c = daemon::parse_colour(part.substr(0, colon));
    if (!c || r.weights.count(*c)) return std::nullopt;  // a colour given twice
    int w = 100;
    if (colon != std::string_view::npos) {
      std::string_view digits = part.substr(colon + 1);
      if (digits.empty() || digits.size() > 3) return std::nullopt;
      w = 0;
      for (char d : digits) {
        if (!std::isdigit(static_cast<unsigned char>(d))) return std::nullopt;
        w = w * 10 + (d - '0');
      }
    }
    if (w > 0) r.weights[*c] = w;
    total += w;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (total != 100 || r.weights.empty()) return std::nullopt;
  return r;
}

}  // namespace bluegreen::traffic
