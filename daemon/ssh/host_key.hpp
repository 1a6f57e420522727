// Strict host key checking against an OpenSSH known_hosts file (plain and
// hashed |1| entries, [host]:port for other ports). No trust on first use:
// an unknown or changed key is refused, with a message that gives the key's
// SHA256 fingerprint and how to add it.
//
// Thread-safety: called on the thread that owns the session.
#pragma once

#include <filesystem>
#include <string>

#include "daemon/ssh/types.hpp"

struct _LIBSSH2_SESSION;

namespace bluegreen::ssh {

struct host_key_verdict {
  error_kind error = error_kind::none;  // none, host_key_unknown or host_key_changed
  std::string message;
};

// Checks the key the server offered in the finished handshake of `session`.
host_key_verdict check_host_key(_LIBSSH2_SESSION* session, const destination& to,
                                const std::filesystem::path& known_hosts);

}  // namespace bluegreen::ssh
