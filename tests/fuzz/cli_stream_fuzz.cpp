// Fuzzes what the bluegreen client reads from a server and prints: the
// event stream cut anywhere gives the same events as read whole, no event is
// longer than the reader's cap, and whatever bytes an event carries,
// sanitise() leaves no control byte, DEL or invalid UTF-8 for the terminal.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "cli/sse_reader.hpp"
#include "cli/text.hpp"
#include "daemon/utf8.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

std::vector<bluegreen::cli::sse_event> read_in_pieces(std::string_view text, std::size_t cut) {
  bluegreen::cli::sse_reader reader;
  auto events = reader.feed(text.substr(0, cut));
  for (auto& e : reader.feed(text.substr(cut))) events.push_back(std::move(e));
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t cut = text.empty() ? 0 : data[0] % (text.size() + 1);

  auto whole = read_in_pieces(text, text.size());
  auto pieces = read_in_pieces(text, cut);
  FUZZ_CHECK(whole.size() == pieces.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    FUZZ_CHECK(whole[i].id == pieces[i].id);
    FUZZ_CHECK(whole[i].event == pieces[i].event);
    FUZZ_CHECK(whole[i].data == pieces[i].data);
    FUZZ_CHECK(whole[i].data.size() <= bluegreen::cli::sse_reader::max_message_bytes);
  }

  std::string shown = bluegreen::cli::sanitise(text);
  FUZZ_CHECK(bluegreen::daemon::utf8::is_valid(shown));
  for (unsigned char c : shown) FUZZ_CHECK(c >= 0x20 && c != 0x7f);
  return 0;
}
