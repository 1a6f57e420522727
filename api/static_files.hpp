// static_files answers GET and HEAD for the embedded files (the dashboard):
// the file for a name, its Content-Type by extension, Cache-Control, ETag,
// and 304 for an If-None-Match that names the current ETag. A name finds a
// file only when it is exactly one of the embedded paths; names with ".",
// "..", empty segments, a backslash, a NUL or a leading "/" are refused
// before that, and nothing is ever read from the file system. Pure
// functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "api/embedded_file.hpp"
#include "api/http_message.hpp"

namespace bluegreen::api {

// "text/html; charset=utf-8" for "index.html"; application/octet-stream for
// an extension it does not know.
std::string_view content_type_of(std::string_view path);

// "no-cache" for every file: revalidated on every use (cheap with the
// ETag), so a new daemon version's pages and scripts show at once together.
std::string_view cache_control_of(std::string_view path);

// The embedded file named `name` (relative to the site's root), or nullptr.
const embedded_file* find_static_file(std::span<const embedded_file> files, std::string_view name);

// Whether an If-None-Match value ("*", or a list of entity tags, weak ones
// included) names `etag`.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// 200 with the file, 304 when `if_none_match` (nullptr when absent) names its
// ETag, or 404.
response static_file_response(std::span<const embedded_file> files, std::string_view name,
                              const std::string* if_none_match);

}  // namespace bluegreen::api
