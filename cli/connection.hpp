// Where `bluegreen` connects and with which token: --url and --token-file
// first, then the environment (BLUEGREEN_URL, and BLUEGREEN_TOKEN holding the
// token itself), then the config file $XDG_CONFIG_HOME/bluegreen/cli.toml
// (~/.config/bluegreen/cli.toml) with the keys `url` and `token_file`. The URL
// and the token are each taken from the first place that has one, but a token
// never goes to a URL named in a place before the token's (--url with
// BLUEGREEN_TOKEN, say: it was meant for another server) unless that place
// names the same URL. That, no URL anywhere, an unreadable token file or
// config file, is a problem (exit 2) whose message says what to do.
//
// Thread-safety: plain values; resolve_connection reads files and nothing else.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <variant>

namespace bluegreen::cli {

struct connection_sources {
  std::optional<std::string> url_option;         // --url
  std::optional<std::string> token_file_option;  // --token-file
  std::optional<std::string> env_url;            // BLUEGREEN_URL
  std::optional<std::string> env_token;          // BLUEGREEN_TOKEN
  std::optional<std::string> xdg_config_home;    // XDG_CONFIG_HOME
  std::optional<std::string> home;               // HOME
};

struct connection {
  std::string url;  // without a trailing '/': the API's paths are appended
  std::optional<std::string> token;
  std::string url_from;    // where the URL came from, for messages
  std::string token_from;  // "" without a token
  // For stderr: the token would cross the network in the clear (http:// to
  // a host that is not loopback). Empty otherwise.
  std::string warning;
};

struct connection_problem {
  std::string message;
};

// The config file's path for these sources, or nothing without a home.
std::optional<std::filesystem::path> config_file_path(const connection_sources& sources);

std::variant<connection, connection_problem> resolve_connection(const connection_sources& sources);

}  // namespace bluegreen::cli
