// Secrets the configuration refers to: a file, or a systemd credential
// ($CREDENTIALS_DIRECTORY). The configuration holds only the reference; the
// value is read when it is needed and never kept in the config.
//
// Thread-safety: plain values and a function that reads the file system.
#pragma once

#include <optional>
#include <string>

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
// newline removed). Returns nullopt and sets `error_message` on failure; the
// message names where it looked, never the value.
std::optional<std::string> read_secret(const secret_ref& ref, std::string& error_message);

}  // namespace bluegreen::daemon
