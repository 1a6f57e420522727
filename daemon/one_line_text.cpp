#include "daemon/one_line_text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <optional>
#include <utility>

#include "daemon/utf8.hpp"

namespace bluegreen::daemon {

namespace {

// Unicode 15.1 general category Cf (format), as inclusive ranges.
constexpr std::pair<char32_t, char32_t> kFormat[] = {
    {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},
    {0x070F, 0x070F},   {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x180E, 0x180E},
    {0x200B, 0x200F},   {0x202A, 0x202E},   {0x2060, 0x2064},   {0x2066, 0x206F},
    {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
    {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
    {0xE0020, 0xE007F},
};

bool breaks_line(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return true;  // Cc
  if (c == 0x2028 || c == 0x2029) return true;            // Zl, Zp
  auto it = std::upper_bound(std::begin(kFormat), std::end(kFormat), c,
                             [](char32_t v, const auto& range) { return v < range.first; });
  return it != std::begin(kFormat) && c <= std::prev(it)->second;
}

// Decodes one UTF-8 character at text[i]; advances i. Nullopt (i advanced by
// one) for a byte that does not start a well-formed sequence: overlong forms,
// surrogates and values above U+10FFFF are not UTF-8.
std::optional<char32_t> next_char(std::string_view text, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b = byte(i);
  if (b < 0x80) {
    ++i;
    return b;
  }
  size_t length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
  if (length == 0 || b > 0xF4 || i + length > text.size()) {
    ++i;
    return std::nullopt;
  }
  char32_t c = b & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return std::nullopt;
    }
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMinimum[length] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    ++i;
    return std::nullopt;
  }
  i += length;
  return c;
}

}  // namespace

bool is_one_line_text(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    auto c = next_char(text, i);
    if (!c || breaks_line(*c)) return false;
  }
  return true;
}

std::string escape_one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  char buf[16];
  for (size_t i = 0; i < text.size();) {
    size_t start = i;
    auto c = next_char(text, i);
    if (!c) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[start]));
      out += buf;
    } else if (*c == '\\') {
      out += "\\\\";
    } else if (*c == '\n') {
      out += "\\n";
    } else if (*c == '\r') {
      out += "\\r";
    } else if (*c == '\t') {
      out += "\\t";
    } else if (*c < 0x80 && breaks_line(*c)) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(*c));
      out += buf;
    } else if (breaks_line(*c)) {
      std::snprintf(buf, sizeof buf, "\\u{%04x}", static_cast<unsigned>(*c));
      out += buf;
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

std::string one_line_name(std::string_view text, std::size_t max_bytes) {
  return escape_one_line(text.substr(0, utf8::boundary_at_or_before(text, max_bytes)));
}

}  // namespace bluegreen::daemon
