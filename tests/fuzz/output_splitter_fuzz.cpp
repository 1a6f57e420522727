// Fuzzes the output splitter with its redaction: bytes arrive on two streams
// in chunks of any size (long runs too, to reach the long-line cut), with up
// to three secrets. No emitted line holds a whole secret value.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon/ssh/output_splitter.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bluegreen::ssh;
  FuzzedDataProvider in(data, size);
  std::vector<std::string> secrets;
  for (int n = in.ConsumeIntegralInRange(0, 3); n > 0; --n) {
    std::string s = in.ConsumeRandomLengthString(40);
    // Redaction writes "***": a secret made of stars could be rebuilt from it.
    s.erase(std::remove(s.begin(), s.end(), '*'), s.end());
    if (!s.empty()) secrets.push_back(s);
  }
  output_splitter splitter("web-1", secrets);
  std::vector<output_line> lines;
  std::size_t fed = 0;
  while (in.remaining_bytes() > 0 && fed < 256 * 1024) {
    stream from = in.ConsumeBool() ? stream::out : stream::err;
    std::size_t repeat = in.ConsumeBool() ? in.ConsumeIntegralInRange<std::size_t>(1, 8192) : 1;
    std::string chunk = in.ConsumeRandomLengthString(64);
    std::string bytes;
    for (std::size_t i = 0; i < repeat && bytes.size() < 64 * 1024; ++i) bytes += chunk;
    fed += bytes.size();
    splitter.feed(from, bytes, lines);
  }
  splitter.finish(lines);
  for (const auto& line : lines) {
    FUZZ_CHECK(line.host == "web-1");
    for (const auto& s : secrets) FUZZ_CHECK(line.text.find(s) == std::string::npos);
  }
  return 0;
}
