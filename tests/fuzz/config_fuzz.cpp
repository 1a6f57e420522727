// Fuzzes the TOML config loader with whole files: any text either loads or
// gives errors, each rendering as one "file:line:column: ..." line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/config.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = bluegreen::daemon::parse_config(text, "fuzz.toml");
  FUZZ_CHECK(result.value == nullptr || result.errors.empty());
  FUZZ_CHECK(result.value != nullptr || !result.errors.empty());
  for (const auto& e : result.errors) FUZZ_CHECK(!e.to_string().empty());
  if (result.value) {
    for (const auto& app : result.value->apps) FUZZ_CHECK(result.value->find_app(app.name));
  }
  return 0;
}
