// Whole-file reads and atomic, durable replacement of small files (the
// configuration, secrets, a load balancer's upstream include). Blocking:
// call from a worker thread, or at start-up. Errors as values (code "io"),
// with a message that names the file and the system's reason.
#pragma once

#include <filesystem>
#include <string>

#include "daemon/result.hpp"

namespace bluegreen::daemon {

// The file's bytes, or "cannot read PATH: No such file or directory".
result<std::string> read_file_text(const std::filesystem::path& path);

// Replaces `path` with `text` atomically and durably: `path` + ".bluegreen-new"
// is written and fsynced, renamed over `path`, and the directory fsynced.
result<void> replace_file(const std::filesystem::path& path, const std::string& text);

}  // namespace bluegreen::daemon
