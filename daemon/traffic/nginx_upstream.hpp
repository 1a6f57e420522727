// The text of the upstream include file that nginx_backend writes, and the
// routing read back from such a file by its server lines. Pure functions,
// apart from nginx_backend so that they can be tested and fuzzed alone.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "daemon/traffic/backend.hpp"
#include "daemon/traffic/routing.hpp"

namespace bluegreen::traffic {

// Which servers an app's upstream block holds, per colour.
struct upstream_layout {
  std::string app_name;
  std::string upstream_name;
  std::filesystem::path upstream_file;  // named in errors
  std::vector<std::string> blue;
  std::vector<std::string> green;
};

// The file routing to `target`; `generation` marks each write apart.
std::string render_upstream(const upstream_layout& layout, const routing& target,
                            long long generation);
// What a file routes to, judged by its server lines.
outcome parse_upstream(const upstream_layout& layout, const std::string& file);

}  // namespace bluegreen::traffic
