// Fuzzes the request target parser, the router with the API's route
// patterns, and the static file lookup. Input: the first byte picks the
// method, the rest is the target. Parsing either refuses with a message or
// yields segments free of '/', '\\', NUL and dot segments; a match never
// has both a route and an Allow list, and its parameters are the path's
// non-empty segments, or for the trailing wildcard the rest of the path
// joined with '/'. A wildcard's value finds an embedded file only when it is
// exactly that file's name.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/router.hpp"
#include "api/static_files.hpp"
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
      {"GET", "/"},
      {"GET", "/assets/{path...}"},
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

constexpr embedded_file kFiles[] = {
    {"css/site.css", "body{}", "\"1\""},
    {"index.html", "<!doctype html>", "\"2\""},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const router routes = make_router();
  static const char* const kMethods[] = {"GET", "POST", "DELETE", "PUT", "HEAD", ""};
  if (size == 0) return 0;
  std::string method = kMethods[data[0] % std::size(kMethods)];
  std::string_view target(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto parsed = parse_target(target);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().code == "bad_path" && !parsed.error().message.empty());
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
    FUZZ_CHECK(m.found->answers(method));
    for (const auto& [name, value] : m.params) FUZZ_CHECK(!value.empty());
    auto wildcard = m.params.find("path");
    if (wildcard == m.params.end()) {
      FUZZ_CHECK(m.found->pattern.size() == parsed->segments.size());
    } else {
      FUZZ_CHECK(parsed->segments.size() >= m.found->pattern.size());
      std::string rest;
      for (size_t i = 1; i < parsed->segments.size(); ++i)
        rest += (i > 1 ? "/" : "") + parsed->segments[i];
      FUZZ_CHECK(wildcard->second == rest);
      const embedded_file* file = find_static_file(kFiles, wildcard->second);
      FUZZ_CHECK(!file || file->path == wildcard->second);
    }
  }
  return 0;
}
