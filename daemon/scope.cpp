#include "daemon/scope.hpp"

namespace bluegreen::daemon {

std::string_view to_string(scope s) {
  switch (s) {
    case scope::metrics: return "metrics";
    case scope::read: return "read";
    case scope::deploy: return "deploy";
    default: return "admin";
  }
}

std::optional<scope> parse_scope(std::string_view text) {
  if (text == "metrics") return scope::metrics;
  if (text == "read") return scope::read;
  if (text == "deploy") return scope::deploy;
  if (text == "admin") return scope::admin;
  return std::nullopt;
}

}  // namespace bluegreen::daemon
