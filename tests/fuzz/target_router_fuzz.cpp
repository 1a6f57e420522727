// Fuzzes the request target parser and the router with the API's route
// patterns. Input: the first byte picks the method, the rest is the target.
// Parsing either refuses with a message or yields segments free of '/',
// '\\', NUL and dot segments; a match never has both a route and an Allow
// list, and its parameters are the path's non-empty segments.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/router.hpp"
#include "api/target.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace bluegreen::api;

// The patterns of api/application.cpp's routes.
router make_router() {
  router r;
  struct entry {
    const char* method;
    const char* pattern;
  };
  static constexpr entry kRoutes[] = {
      {"GET", "/healthz"},
      {"GET", "/api/v1/apps"},
      {"GET", "/api/v1/apps/{app}"},
      {"GET", "/api/v1/events"},
      {"POST", "/api/v1/apps/{app}/lock"},
      {"DELETE", "/api/v1/apps/{app}/lock"},
      {"GET", "/api/v1/apps/{app}/deployments"},
      {"POST", "/api/v1/apps/{app}/deployments"},
      {"POST", "/api/v1/apps/{app}/switch"},
      {"POST", "/api/v1/apps/{app}/rollback"},
      {"POST", "/api/v1/apps/{app}/tasks/{task}"},
      {"GET", "/api/v1/deployments/{id}"},
      {"POST", "/api/v1/deployments/{id}/cancel"},
      {"GET", "/api/v1/deployments/{id}/log"},
  };
  for (const auto& e : kRoutes) r.add(e.method, e.pattern, std::nullopt, handler());
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const router routes = make_router();
  static const char* const kMethods[] = {"GET", "POST", "DELETE", "PUT", "HEAD", ""};
  if (size == 0) return 0;
  std::string method = kMethods[data[0] % std::size(kMethods)];
  std::string_view target(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::string error;
  auto parsed = parse_target(target, error);
  if (!parsed) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(!parsed->path.empty() && parsed->path.front() == '/');
  for (const auto& s : parsed->segments) {
    FUZZ_CHECK(s != "." && s != "..");
    FUZZ_CHECK(s.find_first_of(std::string_view("/\\\0", 3)) == std::string::npos);
  }
  route_match m = routes.match(method, parsed->segments);
  if (m.found) {
    FUZZ_CHECK(m.allowed.empty());
    FUZZ_CHECK(m.found->method == method);
    FUZZ_CHECK(m.found->pattern.size() == parsed->segments.size());
    for (const auto& [name, value] : m.params) FUZZ_CHECK(!value.empty());
  }
  return 0;
}
