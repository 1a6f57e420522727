// Text for people: aligned tables, times relative to now ("3 min ago"),
// durations ("4.2 s"), words painted with ANSI colours only when asked to,
// and text from the server made safe for a terminal (control and
// direction-changing characters shown as escapes, never sent raw).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::cli {

// Whether to paint: stdout is a terminal, NO_COLOR is unset or empty, and
// TERM is not "dumb" (https://no-color.org).
bool colour_wanted(bool stdout_is_terminal, const char* no_color, const char* term);

enum class tint { none, blue, green, red, yellow, bold, dim };

class style {
 public:
  explicit style(bool colour) : colour_(colour) {}
  bool colour() const { return colour_; }
  std::string operator()(std::string_view text, tint how) const;
  // A colour's or a state's word, painted as it reads: blue, green,
  // succeeded/ok (green), failed/failing (red), running/ready (yellow).
  std::string word(std::string_view word) const;

 private:
  bool colour_;
};

// Text from the server, one line of it, safe to print: C0 and C1 control
// characters, DEL, line and paragraph separators, and the invisible and
// direction-changing format characters become \xNN or \u{NNNN}; bytes that
// are not UTF-8 become \xNN.
std::string sanitise(std::string_view text);

// JSON for --json output: one line, every non-ASCII character escaped as
// \uXXXX, so that no C1 or direction-changing character from the server
// reaches the terminal raw.
std::string json_line(const nlohmann::json& value);

// Whether `name` is an app name as bluegreend's configuration allows it
// (daemon/config_reader.cpp is_name: 1 to 63 of a-z, 0-9, '-' and '_',
// starting with a letter or digit). The shell completions offer only such
// names, so what a server answers can never be shell syntax.
bool is_app_name(std::string_view name);

// Rows of cells (already sanitised, possibly painted) aligned in columns of
// the cells' visible width, two spaces apart, the last column unpadded.
std::string table(const std::vector<std::vector<std::string>>& rows);

// "2026-11-22T00:51:12.927Z" (the API's times); nothing for anything else.
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text);

// "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago"; "in 3 min" ahead.
std::string relative_time(std::chrono::system_clock::time_point at,
                          std::chrono::system_clock::time_point now);
// The API's time as relative text, or "-" when there is none.
std::string relative_time(std::string_view api_time, std::chrono::system_clock::time_point now);

// "0.8 s", "42 s", "3 min 5 s", "2 h 4 min".
std::string duration_text(std::chrono::milliseconds elapsed);

}  // namespace bluegreen::cli
