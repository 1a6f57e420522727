#include "api/static_files.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "api/error_response.hpp"
#include "api/header_value.hpp"

namespace bluegreen::api {

namespace {

std::string_view extension_of(std::string_view path) {
  auto slash = path.rfind('/');
  std::string_view file = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto dot = file.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : file.substr(dot + 1);
}

bool is_safe_name(std::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  if (name.find_first_of(std::string_view("\\\0", 2)) != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view segment = name.substr(start, slash - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = slash + 1;
  }
  return true;
}

}  // namespace

std::string_view content_type_of(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kTypes{{
      {"html", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"ico", "image/x-icon"},
      {"txt", "text/plain; charset=utf-8"},
      {"woff2", "font/woff2"},
  }};
  std::string_view ext = extension_of(path);
  for (const auto& [known, type] : kTypes)
    if (ext == known) return type;
  return "application/octet-stream";
}

std::string_view cache_control_of(std::string_view) {
  // Every file: asked again each time (a 304 while it is unchanged), so
  // after a daemon upgrade no browser runs an old script against the new API.
  return "no-cache";
}

const embedded_file* find_static_file(std::span<const embedded_file> files, std::string_view name) {
  if (!is_safe_name(name)) return nullptr;
  auto it = std::find_if(files.begin(), files.end(),
                         [&](const embedded_file& f) { return f.path == name; });
  return it == files.end() ? nullptr : &*it;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (trim_ows(if_none_match) == "*") return true;
  size_t start = 0;
  while (start <= if_none_match.size()) {
    size_t comma = if_none_match.find(',', start);
    if (comma == std::string_view::npos) comma = if_none_match.size();
    std::string_view tag = trim_ows(if_none_match.substr(start, comma - start));
    // If-None-Match compares weakly (RFC 9110, 13.1.2): W/"x" names "x".
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (!tag.empty() && tag == etag) return true;
    start = comma + 1;
  }
  return false;
}

response static_file_response(std::span<const embedded_file> files, std::string_view name,
                              const std::string* if_none_match) {
  const embedded_file* file = find_static_file(files, name);
  if (!file)
    return error_response(404, "not_found",
                          "no file named \"" + std::string(name) + "\" is served here");
  response r;
  r.headers.emplace_back("ETag", std::string(file->etag));
  r.headers.emplace_back("Cache-Control", std::string(cache_control_of(file->path)));
  if (if_none_match && etag_matches(*if_none_match, file->etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.status = 200;
  r.content_type = std::string(content_type_of(file->path));
  r.file = file;
  // The Content-Security-Policy and the other security headers are added
  // by the server to every response (api/security_headers.hpp).
  return r;
}

}  // namespace bluegreen::api
