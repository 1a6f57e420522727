#include "daemon/utf8.hpp"

#include <gtest/gtest.h>

namespace bluegreen::daemon::utf8 {
namespace {

const std::string kReplacement = "\xef\xbf\xbd";

TEST(Utf8, TellsWellFormedTextFromBytes) {
  EXPECT_TRUE(is_valid("plain ascii"));
  EXPECT_TRUE(is_valid("d\xc3\xa9j\xc3\xa0 \xe2\x82\xac \xf0\x9f\x99\x82"));
  EXPECT_FALSE(is_valid("\377\376"));
  EXPECT_FALSE(is_valid("cut \xe2\x82"));      // a character cut short
  EXPECT_FALSE(is_valid("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(is_valid("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid(std::string_view("\x80", 1)));
}

TEST(Utf8, RepairReplacesEachIllFormedPartAndKeepsTheRest) {
  EXPECT_EQ(repair("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(repair("\377\376"), kReplacement + kReplacement);
  EXPECT_EQ(repair("cut \xe2\x82"), "cut " + kReplacement);
  EXPECT_EQ(repair("a\xe2\x82 b"), "a" + kReplacement + " b");
  EXPECT_EQ(repair("\xc0\xaf"), kReplacement + kReplacement);
  EXPECT_EQ(repair("\xf0\x9f\x99"), kReplacement);
  EXPECT_TRUE(is_valid(repair("\xed\xa0\x80\xf4\x90\x80\x80\x80\xbf\xfe")));
}

TEST(Utf8, BoundariesNeverFallInsideACharacter) {
  std::string text = "a\xe2\x82\xac!";  // a€!
  EXPECT_EQ(boundary_at_or_before(text, 0), 0u);
  EXPECT_EQ(boundary_at_or_before(text, 1), 1u);
  EXPECT_EQ(boundary_at_or_before(text, 2), 1u);
  EXPECT_EQ(boundary_at_or_before(text, 3), 1u);
  EXPECT_EQ(boundary_at_or_before(text, 4), 4u);
  EXPECT_EQ(boundary_at_or_before(text, 99), text.size());
  // Bytes that are not a character are not held together.
  EXPECT_EQ(boundary_at_or_before("\x80\x80\x80\x80", 2), 2u);
  EXPECT_EQ(boundary_at_or_before("\xe2\x82x", 1), 1u);
}

}  // namespace
}  // namespace bluegreen::daemon::utf8
