// output_splitter turns a channel's byte stream into lines, with secret
// values redacted, and remembers the process group marker the runner's
// prelude prints first on stderr. Used by one worker thread per job.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/ssh/types.hpp"

namespace bluegreen::ssh {

// The marker line the prelude writes to stderr before the command runs.
inline constexpr std::string_view kProcessGroupMarker = "\x1e" "bluegreen-pgid ";

class output_splitter {
 public:
  output_splitter(std::string host, std::vector<std::string> secrets);
  // For a job's output: its host label and the values of its secret variables.
  explicit output_splitter(const job& j);

  // Appends bytes; complete lines go to `out`.
  void feed(stream from, std::string_view bytes, std::vector<output_line>& out);
  // Emits what is left without a trailing newline.
  void finish(std::vector<output_line>& out);

  // The remote command's process group, once the prelude has reported it.
  std::optional<long> process_group() const { return process_group_; }

  // Longer lines are cut into pieces of this size.
  static constexpr size_t kMaxLine = 16 * 1024;

 private:
  void emit(stream from, std::string text, std::vector<output_line>& out);

  std::string host_;
  std::vector<std::string> secrets_;
  std::string pending_[2];
  std::optional<long> process_group_;
};

// Replaces every occurrence of every secret in `text` with "***".
std::string redact(std::string text, const std::vector<std::string>& secrets);

}  // namespace bluegreen::ssh
