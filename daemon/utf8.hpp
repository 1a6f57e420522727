// UTF-8 helpers for text that comes from outside (what remote hosts print,
// request paths, error messages built from them): stored as the bytes that
// came, repaired only where it is shown (JSON, SSE, the log), and cut only
// at character boundaries. Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bluegreen::daemon::utf8 {

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code
// points above U+10FFFF).
bool is_valid(std::string_view text);

// `text` with every ill-formed sequence replaced by U+FFFD, one per maximal
// ill-formed subpart (as the Unicode standard recommends), so "\xff\xfe"
// becomes two replacement characters and valid text is unchanged.
std::string repair(std::string_view text);

// The largest position <= `pos` that does not fall inside a well-formed
// multi-byte character of `text`; a cut there leaves both halves valid where
// `text` was. `pos` past the end means the end.
std::size_t boundary_at_or_before(std::string_view text, std::size_t pos);

}  // namespace bluegreen::daemon::utf8
