// The files of the repository's web/ folder, compiled into the binary by the
// build (cmake/embed_files.cmake writes embedded_files.cpp), so that the
// daemon serves its dashboard without reading its file system. Immutable
// data; safe from any thread.
#pragma once

#include <span>
#include <string_view>

namespace bluegreen::api {

struct embedded_file {
  std::string_view path;   // relative to web/, '/'-separated: "index.html", "css/site.css"
  std::string_view bytes;  // the file's content
  std::string_view etag;   // a quoted hash of the content, made at build time
};

// Every embedded file, sorted by path.
std::span<const embedded_file> embedded_files();

}  // namespace bluegreen::api
