// Fuzzes ref validation: an accepted ref is safe to pass to a shell and to
// git (only the allowed characters, no leading '-', no "..", at most 200
// characters); a commit id is always an acceptable ref.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/engine/refs.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view ref(reinterpret_cast<const char*>(data), size);
  auto refused = bluegreen::engine::check_ref(ref);
  if (refused) {
    FUZZ_CHECK(!refused->empty());
  } else {
    FUZZ_CHECK(!ref.empty() && ref.size() <= 200);
    FUZZ_CHECK(ref.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789._-/") == std::string_view::npos);
    FUZZ_CHECK(ref.front() != '-' && ref.front() != '/');
    FUZZ_CHECK(ref.find("..") == std::string_view::npos);
  }
  if (bluegreen::engine::is_commit_id(ref)) FUZZ_CHECK(!refused);
  return 0;
}
