#include "daemon/ssh/output_splitter.hpp"

#include <gtest/gtest.h>

#include "daemon/shell_quote.hpp"

namespace bluegreen::ssh {
namespace {

std::vector<std::string> texts(const std::vector<output_line>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.text);
  return out;
}

TEST(OutputSplitter, SplitsLinesAcrossChunksPerStream) {
  output_splitter s("web@h", {});
  std::vector<output_line> out;
  s.feed(stream::out, "hel", out);
  s.feed(stream::err, "warn", out);
  s.feed(stream::out, "lo\r\nwor", out);
  s.feed(stream::err, "ing\n", out);
  s.finish(out);
  EXPECT_EQ(texts(out), (std::vector<std::string>{"hello", "warning", "wor"}));
  EXPECT_EQ(out[1].from, stream::err);
  EXPECT_EQ(out[0].host, "web@h");
}

TEST(OutputSplitter, CutsVeryLongLines) {
  output_splitter s("h", {});
  std::vector<output_line> out;
  s.feed(stream::out, std::string(output_splitter::kMaxLine * 2 + 5, 'x') + "\n", out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].text.size(), 5u);
}

TEST(OutputSplitter, TakesTheProcessGroupMarkerOutOfStderr) {
  output_splitter s("h", {});
  std::vector<output_line> out;
  s.feed(stream::err, "Could not chdir to home directory\n", out);
  s.feed(stream::err, std::string(kProcessGroupMarker) + "4242\nreal error\n", out);
  EXPECT_EQ(s.process_group(), 4242);
  EXPECT_EQ(texts(out), (std::vector<std::string>{"Could not chdir to home directory", "real error"}));
}

TEST(OutputSplitter, RedactsSecretsLongestFirst) {
  output_splitter s("h", {"pass", "password123"});
  std::vector<output_line> out;
  s.feed(stream::out, "a password123 and a pass\n", out);
  EXPECT_EQ(out.at(0).text, "a *** and a ***");
  EXPECT_EQ(redact("no secrets here", {""}), "no secrets here");
}

TEST(ShellQuote, SurvivesEverythingAShellWouldInterpret) {
  EXPECT_EQ(daemon::shell_quote("main"), "'main'");
  EXPECT_EQ(daemon::shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(daemon::shell_quote("$(id); `id` \"x\""), "'$(id); `id` \"x\"'");
  EXPECT_EQ(daemon::shell_quote(""), "''");
}

}  // namespace
}  // namespace bluegreen::ssh
