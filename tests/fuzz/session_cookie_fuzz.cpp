// Fuzzes what the dashboard's session reads from outside: the Cookie header
// (api/session_cookie) and the Origin, Host and Sec-Fetch-Site headers of
// the cross-site check (api/origin_check). Input: lines "cookie", "origin",
// "host", "sec-fetch-site", "public url"; a missing line is a missing
// header. Every value found is a session value and occurs in the header; a
// request let through has the daemon's own origin; a refusal is a 403 whose
// message is short and free of control characters.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "api/origin_check.hpp"
#include "api/session_cookie.hpp"
#include "daemon/session_service.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace bluegreen::api;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= input.size() && lines.size() < 5) {
    auto nl = input.find('\n', start);
    if (nl == std::string::npos) nl = input.size();
    lines.push_back(input.substr(start, nl - start));
    start = nl + 1;
  }

  auto values = session_cookie_values(lines[0]);
  FUZZ_CHECK(values.size() <= 4);
  for (const auto& v : values) {
    FUZZ_CHECK(bluegreen::daemon::is_session_value(v));
    FUZZ_CHECK(lines[0].find(v) != std::string::npos);
  }

  request req;
  req.method = "POST";
  const char* names[] = {"origin", "host", "sec-fetch-site"};
  for (std::size_t i = 0; i < 3; ++i)
    if (lines.size() > i + 1) req.headers[names[i]] = lines[i + 1];
  std::string public_origin;
  if (lines.size() > 4) {
    if (auto origin = origin_of_url(lines[4])) {
      public_origin = *origin;
      FUZZ_CHECK(origin->starts_with("http://") || origin->starts_with("https://"));
      FUZZ_CHECK(lower(*origin) == *origin);
    }
  }
  for (bool required : {true, false}) {
    auto refused = cross_site_refusal(req, public_origin, required);
    if (refused) {
      FUZZ_CHECK(refused->status == 403 && refused->code == "cross_origin");
      FUZZ_CHECK(refused->message.size() < 600);
      FUZZ_CHECK(std::none_of(refused->message.begin(), refused->message.end(),
                              [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
      continue;
    }
    auto origin = req.header("origin");
    auto site = req.header("sec-fetch-site");
    FUZZ_CHECK(!site || lower(trimmed(*site)) != "cross-site");
    if (!origin) {
      FUZZ_CHECK(!required);
      continue;
    }
    std::string sent = lower(trimmed(*origin));
    auto host = req.header("host");
    FUZZ_CHECK((host && sent == "http://" + lower(trimmed(*host))) ||
               (!public_origin.empty() && sent == public_origin));
  }
  return 0;
}
