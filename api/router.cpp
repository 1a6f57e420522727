#include "api/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace bluegreen::api {

namespace {

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool is_wildcard(const std::string& segment) {
  return is_param(segment) && segment.size() > 5 &&
         segment.compare(segment.size() - 4, 4, "...}") == 0;
}

std::string param_name(const std::string& segment) {
  return segment.substr(1, segment.size() - (is_wildcard(segment) ? 5 : 2));
}

bool match_pattern(const std::vector<std::string>& pattern,
                   const std::vector<std::string>& segments, path_params& params) {
  bool wildcard = !pattern.empty() && is_wildcard(pattern.back());
  if (wildcard ? segments.size() < pattern.size() : segments.size() != pattern.size()) return false;
  path_params found;
  size_t fixed = wildcard ? pattern.size() - 1 : pattern.size();
  for (size_t i = 0; i < fixed; ++i) {
    if (is_param(pattern[i])) {
      if (segments[i].empty()) return false;
      found[param_name(pattern[i])] = segments[i];
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  if (wildcard) {
    // Segments hold no '/' (the target parser refuses %2F), so joining them
    // again is unambiguous.
    std::string rest;
    for (size_t i = fixed; i < segments.size(); ++i) rest += (i > fixed ? "/" : "") + segments[i];
    if (rest.empty()) return false;
    found[param_name(pattern.back())] = std::move(rest);
  }
  params = std::move(found);
  return true;
}

void add_once(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

}  // namespace

bool route::answers(const std::string& method) const {
  const auto& methods = spec.methods();
  auto has = [&](const std::string& m) {
    return std::find(methods.begin(), methods.end(), m) != methods.end();
  };
  return has(method) || (method == "HEAD" && has("GET"));
}

std::string route::methods_text() const {
  std::string out;
  for (const auto& m : spec.methods()) out += (out.empty() ? "" : ",") + m;
  if (answers("HEAD") && out.find("HEAD") == std::string::npos) out += ",HEAD";
  return out;
}

std::string route::auth_text() const {
  switch (spec.auth().what) {
    case route_auth::kind::none:
      return "anyone";
    case route_auth::kind::bearer:
      return "a token of scope " + std::string(daemon::to_string(spec.auth().needs));
    case route_auth::kind::verifier:
      return "a request its verifier accepts";
    default:
      return "nobody";
  }
}

void router::add(route_spec spec, handler h) {
  const std::string path = spec.path();
  if (spec.methods().empty()) throw std::logic_error("route " + path + " states no method");
  if (spec.auth().what == route_auth::kind::unstated)
    throw std::logic_error("route " + path + " states no auth");
  if (spec.auth().what == route_auth::kind::verifier && !spec.auth().verify)
    throw std::logic_error("route " + path + " has an empty verifier");
  route r{std::move(spec), {}, std::move(h)};
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) r.pattern.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  for (size_t i = 0; i + 1 < r.pattern.size(); ++i)
    if (is_wildcard(r.pattern[i]))
      throw std::logic_error("route " + path + ": a {name...} wildcard must come last");
  routes_.push_back(std::move(r));
}

void router::add(std::string method, std::string_view pattern, std::optional<daemon::scope> needs,
                 handler h) {
  route_spec spec({std::move(method)}, std::string(pattern));
  if (needs)
    spec.bearer(*needs);
  else
    spec.public_access();
  add(std::move(spec), std::move(h));
}

route_match router::match(const std::string& method,
                          const std::vector<std::string>& segments) const {
  route_match result;
  for (const auto& r : routes_) {
    path_params params;
    if (!match_pattern(r.pattern, segments, params)) continue;
    if (r.answers(method)) {
      if (!result.found) {
        result.found = &r;
        result.params = std::move(params);
      }
    } else {
      for (const auto& m : r.spec.methods()) {
        add_once(result.allowed, m);
        if (m == "GET") add_once(result.allowed, "HEAD");
      }
    }
  }
  if (result.found) result.allowed.clear();
  return result;
}

}  // namespace bluegreen::api
