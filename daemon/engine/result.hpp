// The engine answers with the daemon's one error type (daemon/result.hpp);
// these names keep the engine's and its callers' code short.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "daemon/one_line_text.hpp"
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

// Why an operation that was accepted ended without success: its code and
// message are stored with it (docs/api.md lists the codes), its detail goes
// to the daemon's log. No request waits for it any more, so its kind is
// not kept.
inline failure operation_failure(std::string code, std::string message, std::string detail = {}) {
  return {failure::kind::internal, std::move(code), std::move(message), std::move(detail)};
}

// A failure's log-only detail (a command's output) for the end of a line of
// the daemon's log: " (output: ...)" escaped onto one line, or nothing.
inline std::string output_for_log(const failure& f) {
  return f.detail.empty() ? std::string()
                          : " (output: " + daemon::escape_one_line(f.detail) + ")";
}

}  // namespace bluegreen::engine
