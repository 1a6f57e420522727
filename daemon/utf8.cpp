#include "daemon/utf8.hpp"

namespace bluegreen::daemon::utf8 {

namespace {

// What a lead byte promises, after Table 3-7 of the Unicode standard: the
// character's length and the range its second byte must fall in (which is
// what rules out overlongs, surrogates and code points above U+10FFFF).
struct lead_rule {
  std::size_t length = 0;  // 0: not a lead byte
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
};

lead_rule rule_of(unsigned char lead) {
  if (lead < 0x80) return {1};
  if (lead >= 0xc2 && lead <= 0xdf) return {2};
  if (lead == 0xe0) return {3, 0xa0, 0xbf};
  if (lead == 0xed) return {3, 0x80, 0x9f};
  if (lead >= 0xe1 && lead <= 0xef) return {3};
  if (lead == 0xf0) return {4, 0x90, 0xbf};
  if (lead == 0xf4) return {4, 0x80, 0x8f};
  if (lead >= 0xf1 && lead <= 0xf3) return {4};
  return {0};
}

// How many bytes from `pos` follow the rule of the lead byte there: the
// whole character when it is well-formed, else its maximal subpart.
std::size_t matching_bytes(std::string_view text, std::size_t pos, const lead_rule& rule) {
  std::size_t n = 1;
  while (n < rule.length && pos + n < text.size()) {
    auto c = static_cast<unsigned char>(text[pos + n]);
    bool fits = n == 1 ? (c >= rule.low && c <= rule.high) : (c & 0xc0) == 0x80;
    if (!fits) break;
    ++n;
  }
  return n;
}

// The length of the well-formed character at `pos`, or 0.
std::size_t character_length(std::string_view text, std::size_t pos) {
  lead_rule rule = rule_of(static_cast<unsigned char>(text[pos]));
  if (rule.length == 0) return 0;
  return matching_bytes(text, pos, rule) == rule.length ? rule.length : 0;
}

}  // namespace

bool is_valid(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t n = character_length(text, pos);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

std::string repair(std::string_view text) {
  if (is_valid(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t n = character_length(text, pos);
    if (n > 0) {
      out.append(text.substr(pos, n));
      pos += n;
    } else {
      out.append("\xef\xbf\xbd");
      lead_rule rule = rule_of(static_cast<unsigned char>(text[pos]));
      pos += rule.length == 0 ? 1 : matching_bytes(text, pos, rule);
    }
  }
  return out;
}

std::size_t boundary_at_or_before(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return text.size();
  // A character is at most four bytes, so its start is at most three back.
  for (std::size_t back = 1; back <= 3 && back <= pos; ++back) {
    std::size_t start = pos - back;
    if ((static_cast<unsigned char>(text[start]) & 0xc0) == 0x80) continue;
    return character_length(text, start) > back ? start : pos;
  }
  return pos;
}

}  // namespace bluegreen::daemon::utf8
