// Fuzzes what a slash command brings: the form body (Slack's and
// Mattermost's application/x-www-form-urlencoded) and the command text in
// it. A decoded form survives encoding again; a parsed command is whole
// (an app without white space, weights that sum to 100, a lock's reason).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/target.hpp"
#include "daemon/chat/command.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

std::string encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool has_space(std::string_view word) {
  return word.find_first_of(" \t\n\r\v\f") != std::string_view::npos ||
         word.find("\xC2\xA0") != std::string_view::npos;
}

void check_command(std::string_view text) {
  using namespace bluegreen::chat;
  auto parsed = parse_command(text);
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().message.empty());
    return;
  }
  const command& c = parsed.value();
  FUZZ_CHECK(!has_space(c.app));
  switch (c.action) {
    case action::help:
      FUZZ_CHECK(c.app.empty());
      break;
    case action::status:
      break;
    case action::deploy:
      FUZZ_CHECK(!c.app.empty());
      FUZZ_CHECK(!c.ref || (!c.ref->empty() && !has_space(*c.ref)));
      break;
    case action::switch_traffic:
      FUZZ_CHECK(!c.app.empty());
      FUZZ_CHECK(!(c.to && c.weights));
      if (c.weights) {
        int total = 0;
        for (const auto& [colour, share] : c.weights->weights) {
          FUZZ_CHECK(share > 0 && share <= 100);
          total += share;
        }
        FUZZ_CHECK(total == 100);
      }
      break;
    case action::lock:
      FUZZ_CHECK(!c.app.empty() && !c.reason.empty());
      break;
    case action::rollback:
    case action::unlock:
    case action::cancel:
      FUZZ_CHECK(!c.app.empty());
      break;
  }
  FUZZ_CHECK(!usage("/deploy").empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_command(input);
  std::string unescaped = bluegreen::chat::unescape_slack(input);
  FUZZ_CHECK(unescaped.size() <= input.size());
  check_command(unescaped);

  auto form = bluegreen::api::parse_form(input, "the body");
  if (!form) return 0;
  std::string again;
  for (const auto& [name, value] : *form)
    again += (again.empty() ? "" : "&") + encode(name) + "=" + encode(value);
  auto reparsed = bluegreen::api::parse_form(again, "the body");
  FUZZ_CHECK(reparsed && *reparsed == *form);
  check_command(bluegreen::api::form_value(*form, "text"));
  return 0;
}
