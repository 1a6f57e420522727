// Secrets the configuration refers to: a file, or a systemd credential
// ($CREDENTIALS_DIRECTORY). The configuration holds only the reference; the
// value is read when it is needed and never kept in the config.
//
// Thread-safety: plain values and a function that reads the file system.
#pragma once

#include <string>

#include "daemon/result.hpp"

namespace bluegreen::daemon {

// Where a secret comes from. The value itself is read only when needed.
struct secret_ref {
  enum class source { file, credential };
  source from = source::file;
  // A path for `file`; a credential name (looked up in
  // $CREDENTIALS_DIRECTORY) for `credential`.
  std::string name;
};

// Reads a secret's value (file contents or systemd credential, trailing
// newline removed). A failure (code "secret_unavailable") names where it
// looked, never the value.
result<std::string> read_secret(const secret_ref& ref);

}  // namespace bluegreen::daemon
