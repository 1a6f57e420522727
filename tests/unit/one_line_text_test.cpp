#include "daemon/one_line_text.hpp"

#include <gtest/gtest.h>

namespace bluegreen::daemon {
namespace {

TEST(OneLineText, AcceptsPrintableTextInAnyScript) {
  for (const char* text : {"release freeze", "", "café — 日本語 ☕ 🚀", "a\u00a0b", "ﬁ\u0301"})
    EXPECT_TRUE(is_one_line_text(text)) << text;
}

TEST(OneLineText, RefusesControlFormatAndSeparatorCharacters) {
  for (const char* text : {"a\nb", "a\rb", "a\tb", "a\x1b[31m", "a\x7f", "a\u0085b", "a\u009bb",
                           "a\u2028b", "a\u2029b", "a\u202eb", "a\u200bb", "a\u200fb", "a\u2066b",
                           "a\ufeffb", "a\u00adb", "a\u061cb", "a\U000e0041b", "a\U0001d173b"})
    EXPECT_FALSE(is_one_line_text(text)) << escape_one_line(text);
}

TEST(OneLineText, RefusesWhatIsNotUtf8) {
  for (const char* text : {"\xff", "a\xe2\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                           "\xf4\x90\x80\x80", "\x80", "\xf8\x88\x80\x80\x80"})
    EXPECT_FALSE(is_one_line_text(text)) << escape_one_line(text);
  EXPECT_TRUE(is_one_line_text("\xf4\x8f\xbf\xbd"));  // U+10FFFD, the last valid one
}

TEST(OneLineText, EscapesWhatCouldBreakALine) {
  EXPECT_EQ(escape_one_line("plain café"), "plain café");
  EXPECT_EQ(escape_one_line("a\nb\rc\td\\e"), R"(a\nb\rc\td\\e)");
  EXPECT_EQ(escape_one_line(std::string("nul\0x", 5)), R"(nul\x00x)");
  EXPECT_EQ(escape_one_line("\x1b[1m\x7f"), R"(\x1b[1m\x7f)");
  EXPECT_EQ(escape_one_line("a\u2028b\u202ec\u0085"), R"(a\u{2028}b\u{202e}c\u{0085})");
  EXPECT_EQ(escape_one_line("bad\xff\xe2\x80!"), R"(bad\xff\xe2\x80!)");
  for (const char* text : {"x\ny", "\u2029", "\xc2"})
    EXPECT_TRUE(is_one_line_text(escape_one_line(text))) << text;
}

}  // namespace
}  // namespace bluegreen::daemon
