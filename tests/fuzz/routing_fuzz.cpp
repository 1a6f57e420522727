// Fuzzes the weights text of the state database and the traffic scripts
// ("blue:90,green:10"): what decodes sums to 100 and survives a round trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/traffic/routing.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using bluegreen::traffic::routing;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = routing::decode(text);
  if (!r) return 0;
  int total = 0;
  for (const auto& [c, w] : r->weights) {
    FUZZ_CHECK(w > 0 && w <= 100);
    total += w;
  }
  FUZZ_CHECK(total == 100);
  FUZZ_CHECK(routing::decode(r->encode()) == r);
  FUZZ_CHECK(!r->describe().empty());
  return 0;
}
