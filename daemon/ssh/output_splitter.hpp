// output_splitter turns a channel's byte stream into lines, with secret
// values redacted, and remembers the process group marker the runner's
// prelude prints first on stderr. Lines keep the bytes the host printed
// (valid UTF-8 or not); a line too long is cut at a UTF-8 character
// boundary and never inside a secret, so no part of a secret survives the
// cut. Used by one worker thread per job.
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

  // Longer lines are cut into pieces of about this size (a piece ends
  // early rather than inside a character or a secret).
  static constexpr size_t kMaxLine = 16 * 1024;

 private:
  void emit(stream from, std::string text, std::vector<output_line>& out);
  // Emits a complete line, cut into pieces when it is too long.
  void emit_line(stream from, std::string_view line, std::vector<output_line>& out);
  // Where to end the first piece of `line` (longer than kMaxLine).
  size_t cut_point(std::string_view line) const;

  std::string host_;
  std::vector<std::string> secrets_;
  // Bytes that must have arrived past a cut before the cut is made, so a
  // secret that straddles it is seen whole.
  size_t lookahead_ = 4;
  std::string pending_[2];
  std::optional<long> process_group_;
};

// Replaces every occurrence of every secret in `text` with "***".
std::string redact(std::string text, const std::vector<std::string>& secrets);

}  // namespace bluegreen::ssh
