// Whole-file reads and atomic, durable replacement of small files (the
// configuration, secrets, a load balancer's upstream include). Blocking:
// call from a worker thread, or at start-up. Errors as values: the reason
// (strerror text), for the caller to put into its own message.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace bluegreen::daemon {

// The file's bytes, or nullopt with `why` set (e.g. "No such file or directory").
std::optional<std::string> read_file_text(const std::filesystem::path& path, std::string& why);

// Replaces `path` with `text` atomically and durably: `path` + ".bluegreen-new"
// is written and fsynced, renamed over `path`, and the directory fsynced.
// Returns the error message, or nullopt on success.
std::optional<std::string> replace_file(const std::filesystem::path& path, const std::string& text);

}  // namespace bluegreen::daemon
