// The pieces of the configuration loader, one file each: addresses and URLs
// (config_addresses.cpp), an app's tables (config_app.cpp) and its traffic
// backend's section (config_backends.cpp). Private to daemon/config*.cpp.
//
// Thread-safety: pure functions over their arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/config.hpp"
#include "daemon/config_reader.hpp"

namespace bluegreen::daemon {

// [user@]host[:port]; nothing when malformed.
std::optional<ssh_target> parse_ssh_target(std::string_view text);
// An http:// or https:// URL with a host, on one line, that the HTTP client
// can request. Its port, or nothing when the URL is not acceptable.
std::optional<std::uint16_t> http_url_port(std::string_view url);
// Reads `key` as such a URL into `out`, reporting what is wrong.
void read_url(table_reader& r, std::string_view key, std::string& out, bool required);
// Reads `key` as an SSH destination, reporting what is wrong.
std::optional<ssh_target> read_target(table_reader& r, std::string_view key, bool required);

// The [[app]] table at `index`.
void read_app(error_sink& sink, const toml::table& t, size_t index, app_config& out);
// [chat], [github], [outbound] and [notify] (config_hooks.cpp), once the
// apps are read: the names they refer to are checked.
void read_hooks_sections(error_sink& sink, const toml::table& root, table_reader& r,
                         config& cfg);
// [app.github] and [app.notify], after [app.deploy] (the branch defaults to
// deploy.default_ref).
void read_app_hooks(table_reader& r, error_sink& sink, app_config& out);
// [app.traffic]: the backend and its own keys.
void read_traffic(error_sink& sink, const toml::table& t, const std::string& path,
                  traffic_config& out);

}  // namespace bluegreen::daemon
