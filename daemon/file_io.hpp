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

// How replace_file makes its change durable.
enum class durability {
  now,    // fsync before the rename, then the directory: durable on return
  later,  // no fsync: the caller calls sync_file() once the change must last
};

// Replaces `path` with `text` atomically: `path` + ".bluegreen-new" is
// written (and with durability::now fsynced), renamed over `path`, and (now)
// the directory fsynced.
result<void> replace_file(const std::filesystem::path& path, const std::string& text,
                          durability how = durability::now);
// Makes a file replaced with durability::later durable: fsyncs it and its
// directory.
result<void> sync_file(const std::filesystem::path& path);

}  // namespace bluegreen::daemon
