// storage::error is thrown by statements and repositories when SQLite fails
// in a way the caller cannot plan for (disk full, I/O error, constraint bug).
// Expected outcomes (a row not found, a lock already held) are return values.
#pragma once

#include <stdexcept>
#include <string>

namespace bluegreen::storage {

class error : public std::runtime_error {
 public:
  error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

  // The SQLite result code (primary or extended).
  int code() const { return code_; }

 private:
  int code_;
};

}  // namespace bluegreen::storage
