// What counts as "one line of text" wherever the daemon takes free text from
// a client or an operator (a lock's reason, a URL in the config), and how
// such text is shown back safely inside a message. Pure functions; safe from
// any thread.
#pragma once

#include <string>
#include <string_view>

namespace bluegreen::daemon {

// True when `text` is valid UTF-8 without any character that could break a
// line or hide what is written: Unicode control characters (Cc: C0, DEL, C1
// such as U+0085), format characters (Cf: U+200B, U+202E, U+FEFF, ...) and
// line and paragraph separators (Zl, Zp: U+2028, U+2029).
bool is_one_line_text(std::string_view text);

// `text` made safe to echo on one line of a message or log: those characters
// (and backslash) become escapes such as \n, \x7f or \u{202e}, and bytes that
// are not UTF-8 become \xff, so echoed input can never start a line of its own.
std::string escape_one_line(std::string_view text);

// A name a client chose (a chat user's, a GitHub pusher's), as the daemon
// writes it into its log, the audit log and the messages that quote it:
// at most `max_bytes` of it, never cut inside a character, then escaped as
// escape_one_line does.
std::string one_line_name(std::string_view text, std::size_t max_bytes);

}  // namespace bluegreen::daemon
