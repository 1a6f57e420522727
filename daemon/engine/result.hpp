// The engine answers with the daemon's one error type (daemon/result.hpp);
// these names keep the engine's and its callers' code short.
#pragma once

#include <string>
#include <string_view>

#include "daemon/result.hpp"

namespace bluegreen::engine {

using daemon::failure;
using daemon::result;

inline failure unknown_app(std::string_view app) {
  return {failure::kind::not_found,
          "unknown_app",
          "no app named \"" + std::string(app) + "\" in the configuration",
          {}};
}

}  // namespace bluegreen::engine
