#include "cli/text.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace bluegreen::cli {

namespace {

// The code point at `text[i]` and its length, or nothing when the bytes
// there are not UTF-8.
struct code_point {
  char32_t value = 0;
  size_t length = 0;
};

std::optional<code_point> decode(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char first = byte(i);
  if (first < 0x80) return code_point{first, 1};
  size_t length = first >= 0xF0 && first <= 0xF4   ? 4
                  : first >= 0xE0 && first <= 0xEF ? 3
                  : first >= 0xC2 && first <= 0xDF ? 2
                                                   : 0;
  if (length == 0 || i + length > text.size()) return std::nullopt;
  char32_t value = first & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((length == 3 && value < 0x800) || (length == 4 && (value < 0x10000 || value > 0x10FFFF)) ||
      (value >= 0xD800 && value <= 0xDFFF))
    return std::nullopt;
  return code_point{value, length};
}

bool unsafe(char32_t c) {
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x061C ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB);
}

std::string hex(unsigned value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*X", digits, value);
  return buf;
}

// Columns a cell takes on a terminal: code points outside escape sequences.
size_t visible_width(std::string_view cell) {
  size_t width = 0;
  for (size_t i = 0; i < cell.size(); ++i) {
    if (cell[i] == '\x1b') {
      while (i < cell.size() && cell[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(cell[i]) & 0xC0) != 0x80) ++width;
  }
  return width;
}

const char* sgr(tint how) {
  switch (how) {
    case tint::blue:
      return "\x1b[34m";
    case tint::green:
      return "\x1b[32m";
    case tint::red:
      return "\x1b[31m";
    case tint::yellow:
      return "\x1b[33m";
    case tint::bold:
      return "\x1b[1m";
    case tint::dim:
      return "\x1b[2m";
    case tint::none:
      break;
  }
  return "";
}

}  // namespace

bool colour_wanted(bool stdout_is_terminal, const char* no_color, const char* term) {
  if (!stdout_is_terminal) return false;
  if (no_color && *no_color) return false;
  if (term && std::string_view(term) == "dumb") return false;
  return true;
}

std::string style::operator()(std::string_view text, tint how) const {
  if (!colour_ || how == tint::none || text.empty()) return std::string(text);
  return sgr(how) + std::string(text) + "\x1b[0m";
}

std::string style::word(std::string_view word) const {
  tint how = tint::none;
  if (word == "blue")
    how = tint::blue;
  else if (word == "green" || word == "succeeded" || word == "ok")
    how = tint::green;
  else if (word == "failed" || word == "failing" || word == "rolled_back" ||
           word == "interrupted" || word == "drifted")
    how = tint::red;
  else if (word == "running" || word == "ready" || word == "cancelled" || word == "locked")
    how = tint::yellow;
  return (*this)(word, how);
}

std::string json_line(const nlohmann::json& value) {
  return value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

bool is_app_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return lower_or_digit(c) || c == '-' || c == '_'; });
}

std::string sanitise(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto point = decode(text, i);
    if (!point) {
      out += "\\x" + hex(static_cast<unsigned char>(text[i]), 2);
      ++i;
      continue;
    }
    if (unsafe(point->value)) {
      if (point->value == '\t')
        out += ' ';
      else if (point->value < 0x80)
        out += "\\x" + hex(point->value, 2);
      else
        out += "\\u{" + hex(point->value, 4) + "}";
    } else {
      out.append(text.substr(i, point->length));
    }
    i += point->length;
  }
  return out;
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) {
      if (widths.size() <= c) widths.push_back(0);
      widths[c] = std::max(widths[c], visible_width(row[c]));
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - visible_width(row[c]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text) {
  // 2026-11-22T00:51:12.927Z, the fraction optional.
  int year, month, day, hour, minute, second;
  int used = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &used) != 6 ||
      used != 19)
    return std::nullopt;
  std::chrono::milliseconds fraction{0};
  size_t at = 19;
  if (at < s.size() && s[at] == '.') {
    int scale = 100;
    for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at) {
      fraction += std::chrono::milliseconds((s[at] - '0') * scale);
      scale /= 10;
    }
  }
  if (at + 1 != s.size() || s[at] != 'Z') return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  auto seconds = timegm(&tm);
  if (seconds == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(seconds) + fraction;
}

std::string relative_time(std::chrono::system_clock::time_point at,
                          std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  auto delta = duration_cast<seconds>(now - at).count();
  bool ahead = delta < 0;
  auto s = ahead ? -delta : delta;
  std::string amount;
  if (s < 5) return "just now";
  if (s < 60)
    amount = std::to_string(s) + " s";
  else if (s < 3600)
    amount = std::to_string(s / 60) + " min";
  else if (s < 2 * 86400)
    amount = std::to_string(s / 3600) + " h";
  else
    amount = std::to_string(s / 86400) + " d";
  return ahead ? "in " + amount : amount + " ago";
}

std::string relative_time(std::string_view api_time, std::chrono::system_clock::time_point now) {
  auto at = parse_utc(api_time);
  return at ? relative_time(*at, now) : "-";
}

std::string duration_text(std::chrono::milliseconds elapsed) {
  auto ms = std::max<long long>(0, elapsed.count());
  if (ms < 10'000) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
    return buf;
  }
  auto s = ms / 1000;
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600)
    return std::to_string(s / 60) + " min" + (s % 60 ? " " + std::to_string(s % 60) + " s" : "");
  return std::to_string(s / 3600) + " h" +
         (s % 3600 / 60 ? " " + std::to_string(s % 3600 / 60) + " min" : "");
}

}  // namespace bluegreen::cli
