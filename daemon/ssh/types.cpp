#include "daemon/ssh/types.hpp"

namespace bluegreen::ssh {

std::string destination::label() const {
  if (is_local()) return "local";
  std::string out = user.empty() ? "" : user + "@";
  bool v6 = host.find(':') != std::string::npos;
  if (port == 22) return out + (v6 ? "[" + host + "]" : host);
  return out + "[" + host + "]:" + std::to_string(port);
}

std::string_view to_string(error_kind kind) {
  switch (kind) {
    case error_kind::none: return "none";
    case error_kind::connect_failed: return "connect_failed";
    case error_kind::auth_failed: return "auth_failed";
    case error_kind::host_key_unknown: return "host_key_unknown";
    case error_kind::host_key_changed: return "host_key_changed";
    case error_kind::timeout: return "timeout";
    case error_kind::cancelled: return "cancelled";
    default: return "channel_error";
  }
}

std::string job_result::summary() const {
  if (error != error_kind::none) return std::string(to_string(error)) + ": " + message;
  if (exit_signal) return "killed by SIG" + *exit_signal;
  if (exit_code) return "exit " + std::to_string(*exit_code);
  return "no exit status";
}

}  // namespace bluegreen::ssh
