#include "daemon/ssh/output_splitter.hpp"

#include <gtest/gtest.h>

#include "daemon/shell_quote.hpp"
#include "daemon/utf8.hpp"

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

// Feeds `text` in chunks of `chunk` bytes (0: at once), optionally ending
// the stream with finish().
std::vector<output_line> split(output_splitter& s, stream from, const std::string& text,
                               size_t chunk) {
  std::vector<output_line> out;
  if (chunk == 0) chunk = text.size();
  for (size_t pos = 0; pos < text.size(); pos += chunk)
    s.feed(from, std::string_view(text).substr(pos, chunk), out);
  s.finish(out);
  return out;
}

std::string joined(const std::vector<output_line>& lines) {
  std::string all;
  for (const auto& l : lines) all += l.text;
  return all;
}

TEST(OutputSplitter, NoSecretSurvivesAnyCut) {
  const std::string secret = "CANARY-7f3e9a1b";
  constexpr size_t kMax = output_splitter::kMaxLine;
  // The secret across the first and the second line-length cut, and ending
  // the stream with and without a newline; fed at once, in read-buffer
  // sized chunks, in odd chunks, and split inside the secret itself.
  for (size_t cut : {kMax, 2 * kMax}) {
    for (size_t start = cut - secret.size() - 1; start <= cut + 1; ++start) {
      for (bool newline : {true, false}) {
        std::string text = std::string(start, 'x') + secret + (newline ? "\n" : "");
        std::string expected = std::string(start, 'x') + "***";
        for (size_t chunk : {size_t{0}, size_t{4096}, size_t{1021}, start + secret.size() / 2}) {
          for (stream from : {stream::out, stream::err}) {
            output_splitter s("h", {secret});
            auto lines = split(s, from, text, chunk);
            SCOPED_TRACE("secret at " + std::to_string(start) + ", chunk " + std::to_string(chunk) +
                         (newline ? ", newline" : ", stream end"));
            // Joined again, the pieces are the output with the secret
            // redacted: a secret split by a cut would show up whole here.
            std::string all = joined(lines);
            EXPECT_TRUE(all == expected) << "...";
            EXPECT_EQ(all.find(secret), std::string::npos);
            for (const auto& l : lines) {
              EXPECT_LE(l.text.size(), kMax);
              EXPECT_EQ(l.text.find("CANARY"), std::string::npos)
                  << "ends " << l.text.substr(l.text.size() > 20 ? l.text.size() - 20 : 0);
              EXPECT_EQ(l.text.find("7f3e9a1b"), std::string::npos)
                  << "starts " << l.text.substr(0, 20);
            }
          }
        }
      }
    }
  }
}

TEST(OutputSplitter, SecretsAtReadBufferBoundariesAndStreamEndAreRedacted) {
  output_splitter s("h", {"hunter2-secret"});
  std::vector<output_line> out;
  s.feed(stream::out, "pw=hunter", out);
  s.feed(stream::out, "2-sec", out);
  s.feed(stream::out, "ret\nlast hunter2-", out);
  s.feed(stream::out, "secret", out);
  s.finish(out);
  EXPECT_EQ(texts(out), (std::vector<std::string>{"pw=***", "last ***"}));
}

TEST(OutputSplitter, SecretsOfSeveralLinesAreRedactedLineByLine) {
  output_splitter s("h",
                    {"-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\nb3BlbnNzaC1rZXk=\n-----END KEY-----"});
  std::vector<output_line> out;
  s.feed(stream::out, "key: MIIEpAIBAAKCAQEA\nb3BlbnNzaC1rZXk=\n", out);
  EXPECT_EQ(texts(out), (std::vector<std::string>{"key: ***", "***"}));
}

TEST(OutputSplitter, NeverCutsInsideACharacter) {
  constexpr size_t kMax = output_splitter::kMaxLine;
  for (std::string character : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x99\x82"}) {
    for (size_t start = kMax - 4; start <= kMax; ++start) {
      std::string text = std::string(start, 'x') + character + std::string(10, 'y') + "\n";
      output_splitter s("h", {});
      auto lines = split(s, stream::out, text, 1000);
      SCOPED_TRACE(std::to_string(character.size()) + "-byte character at " +
                   std::to_string(start));
      ASSERT_EQ(joined(lines) + "\n", text);
      for (const auto& l : lines) {
        EXPECT_TRUE(daemon::utf8::is_valid(l.text));
        EXPECT_LE(l.text.size(), kMax);
      }
    }
  }
}

TEST(OutputSplitter, KeepsBytesThatAreNotUtf8AsTheyCame) {
  output_splitter s("h", {});
  std::vector<output_line> out;
  s.feed(stream::out, "\377\376 and \xc3\n", out);
  EXPECT_EQ(texts(out), (std::vector<std::string>{"\377\376 and \xc3"}));
}

TEST(ShellQuote, SurvivesEverythingAShellWouldInterpret) {
  EXPECT_EQ(daemon::shell_quote("main"), "'main'");
  EXPECT_EQ(daemon::shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(daemon::shell_quote("$(id); `id` \"x\""), "'$(id); `id` \"x\"'");
  EXPECT_EQ(daemon::shell_quote(""), "''");
}

}  // namespace
}  // namespace bluegreen::ssh
