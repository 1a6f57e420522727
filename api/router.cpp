#include "api/router.hpp"

#include <algorithm>

namespace bluegreen::api {

namespace {

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool match_pattern(const std::vector<std::string>& pattern,
                   const std::vector<std::string>& segments, path_params& params) {
  if (pattern.size() != segments.size()) return false;
  path_params found;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (is_param(pattern[i])) {
      if (segments[i].empty()) return false;
      found[pattern[i].substr(1, pattern[i].size() - 2)] = segments[i];
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

void router::add(std::string method, std::string_view pattern,
                 std::optional<daemon::scope> needs, handler h) {
  route r{std::move(method), {}, needs, std::move(h)};
  size_t start = 1;
  while (start <= pattern.size()) {
    size_t slash = pattern.find('/', start);
    if (slash == std::string_view::npos) slash = pattern.size();
    if (slash > start) r.pattern.emplace_back(pattern.substr(start, slash - start));
    start = slash + 1;
  }
  routes_.push_back(std::move(r));
}

route_match router::match(const std::string& method,
                          const std::vector<std::string>& segments) const {
  route_match result;
  for (const auto& r : routes_) {
    path_params params;
    if (!match_pattern(r.pattern, segments, params)) continue;
    // HEAD is answered wherever GET is: the same header, no body.
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      if (!result.found) {
        result.found = &r;
        result.params = std::move(params);
      }
    } else {
      for (const std::string& m : {r.method, std::string(r.method == "GET" ? "HEAD" : "")}) {
        if (!m.empty() && std::find(result.allowed.begin(), result.allowed.end(), m) ==
                              result.allowed.end())
          result.allowed.push_back(m);
      }
    }
  }
  if (result.found) result.allowed.clear();
  return result;
}

}  // namespace bluegreen::api
