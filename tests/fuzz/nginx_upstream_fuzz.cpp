// Fuzzes the nginx upstream file: rendering any routing over any servers
// and reading it back gives the same routing (when names are plain nginx
// words), and reading any text gives a routing or an error, never a crash.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "daemon/traffic/nginx_upstream.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace bluegreen::traffic;
using bluegreen::daemon::colour;

bool plain(const std::string& word) {
  return !word.empty() && word.find_first_not_of(
                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
                              "WXYZ0123456789_.:-[]") == std::string::npos;
}

std::vector<std::string> servers(FuzzedDataProvider& in) {
  std::vector<std::string> out;
  for (int n = in.ConsumeIntegralInRange(0, 3); n > 0; --n)
    out.push_back(in.ConsumeRandomLengthString(24));
  return out;
}

void round_trip(FuzzedDataProvider& in) {
  upstream_layout layout;
  layout.app_name = in.ConsumeRandomLengthString(24);
  layout.upstream_name = in.ConsumeRandomLengthString(24);
  layout.upstream_file = "/etc/nginx/upstream.conf";
  layout.blue = servers(in);
  layout.green = servers(in);
  routing target;
  int blue = in.ConsumeIntegralInRange(0, 100);
  if (blue > 0) target.weights[colour::blue] = blue;
  if (blue < 100) target.weights[colour::green] = 100 - blue;

  std::string file = render_upstream(layout, target, in.ConsumeIntegral<long long>());
  outcome read = parse_upstream(layout, file);

  bool well_formed = plain(layout.upstream_name) && !layout.blue.empty() && !layout.green.empty() &&
                     layout.app_name.find_first_of("\n") == std::string::npos;
  std::set<std::string> distinct;
  for (const auto* list : {&layout.blue, &layout.green})
    for (const auto& s : *list) {
      well_formed = well_formed && plain(s);
      distinct.insert(s);
    }
  well_formed = well_formed && distinct.size() == layout.blue.size() + layout.green.size();
  if (!well_formed) return;
  FUZZ_CHECK(read.ok());
  FUZZ_CHECK(read.value() == target);
}

void read_any(FuzzedDataProvider& in) {
  upstream_layout layout{"web",
                         "web",
                         "/etc/nginx/upstream.conf",
                         {"10.0.0.1:8000", "10.0.0.2:8000"},
                         {"10.0.0.3:8000"}};
  outcome read = parse_upstream(layout, in.ConsumeRemainingBytesAsString());
  if (!read.ok()) {
    FUZZ_CHECK(!read.error().message.empty());
    return;
  }
  int total = 0;
  for (const auto& [c, w] : read.value().weights) {
    FUZZ_CHECK(w >= 0 && w <= 100);
    total += w;
  }
  FUZZ_CHECK(total == 100);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool())
    round_trip(in);
  else
    read_any(in);
  return 0;
}
