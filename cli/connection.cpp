#include "cli/connection.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "daemon/net/address_policy.hpp"
#include "daemon/net/url.hpp"

namespace bluegreen::cli {

namespace {

bool present(const std::optional<std::string>& value) { return value && !value->empty(); }

std::string without_trailing_slashes(std::string url) {
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

// By the address, not its spelling: "127.example.com" is a name like any
// other, and 0x7f.1 is 127.0.0.1.
bool is_loopback(const std::string& host) {
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  auto address = net::parse_ip_literal(host);
  if (!address) return false;
  const auto& b = address->bytes;
  if (!address->v6) return b[0] == 127;
  bool mapped = std::all_of(b.begin(), b.begin() + 10, [](auto x) { return x == 0; }) &&
                b[10] == 0xff && b[11] == 0xff;
  if (mapped) return b[12] == 127;
  return std::all_of(b.begin(), b.begin() + 15, [](auto x) { return x == 0; }) && b[15] == 1;
}

struct read_text {
  bool ok = false;
  std::string text;
  std::string why;
};

read_text read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {false, "", std::strerror(errno)};
  std::stringstream s;
  s << in.rdbuf();
  return {true, s.str(), ""};
}

std::string trimmed(std::string text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.back())) text.pop_back();
  size_t start = 0;
  while (start < text.size() && is_space(text[start])) ++start;
  return text.substr(start);
}

std::variant<std::string, connection_problem> token_from_file(const std::string& path,
                                                              const std::string& named_by) {
  auto read = read_file(path);
  if (!read.ok)
    return connection_problem{"cannot read the token file " + path + " (" + named_by +
                              "): " + read.why};
  auto token = trimmed(read.text);
  if (token.empty())
    return connection_problem{"the token file " + path + " (" + named_by + ") is empty"};
  if (token.find_first_of("\r\n\t ") != std::string::npos || token.size() > 4096)
    return connection_problem{"the token file " + path + " (" + named_by +
                              ") holds more than one token"};
  return token;
}

struct config_values {
  std::optional<std::string> url;
  std::optional<std::string> token_file;
};

std::variant<config_values, connection_problem> read_config(const std::filesystem::path& path) {
  config_values values;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return values;
  auto read = read_file(path);
  if (!read.ok)
    return connection_problem{"cannot read the config file " + path.string() + ": " + read.why};
  toml::table table;
  try {
    table = toml::parse(read.text, path.string());
  } catch (const toml::parse_error& e) {
    return connection_problem{path.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                              std::string(e.description())};
  }
  for (const auto& [key, node] : table) {
    std::string name(key.str());
    if (name != "url" && name != "token_file")
      return connection_problem{path.string() + ": unknown key '" + name +
                                "' (the file takes url and token_file)"};
    if (!node.is_string())
      return connection_problem{path.string() + ": " + name + " must be a string"};
    std::string value = *node.value<std::string>();
    if (name == "url")
      values.url = value;
    else {
      std::filesystem::path file(value);
      if (value.starts_with("~/")) {
        if (const char* home = std::getenv("HOME"))
          file = std::filesystem::path(home) / value.substr(2);
      } else if (file.is_relative()) {
        file = path.parent_path() / file;
      }
      values.token_file = file.string();
    }
  }
  return values;
}

}  // namespace

std::optional<std::filesystem::path> config_file_path(const connection_sources& sources) {
  if (present(sources.xdg_config_home) && sources.xdg_config_home->starts_with("/"))
    return std::filesystem::path(*sources.xdg_config_home) / "bluegreen" / "cli.toml";
  if (present(sources.home))
    return std::filesystem::path(*sources.home) / ".config" / "bluegreen" / "cli.toml";
  return std::nullopt;
}

std::variant<connection, connection_problem> resolve_connection(const connection_sources& sources) {
  connection out;
  auto config_path = config_file_path(sources);
  config_values config;
  // The file is read only when something is still missing, so a broken
  // file does not stand in the way of --url and the environment.
  bool need_file = !(present(sources.url_option) || present(sources.env_url)) ||
                   !(present(sources.token_file_option) || present(sources.env_token));
  if (need_file && config_path) {
    auto read = read_config(*config_path);
    if (auto* problem = std::get_if<connection_problem>(&read)) return *problem;
    config = std::get<config_values>(read);
  }
  std::string file_name = config_path ? config_path->string() : "the config file";

  // Places in order: 0 the command line, 1 the environment, 2 the file.
  int url_place = 0;
  if (present(sources.url_option)) {
    out.url = *sources.url_option;
    out.url_from = "--url";
  } else if (present(sources.env_url)) {
    out.url = *sources.env_url;
    out.url_from = "BLUEGREEN_URL";
    url_place = 1;
  } else if (present(config.url)) {
    out.url = *config.url;
    out.url_from = "url in " + file_name;
    url_place = 2;
  } else {
    return connection_problem{
        "no server to connect to: give --url URL, set BLUEGREEN_URL, or set url in " +
        (config_path ? config_path->string() : std::string("$XDG_CONFIG_HOME/bluegreen/cli.toml")) +
        " (for example url = \"http://127.0.0.1:8765\")"};
  }
  out.url = without_trailing_slashes(out.url);
  auto parsed = net::parse_url(out.url + "/");
  if (!parsed)
    return connection_problem{"the server URL from " + out.url_from +
                              " is not an http:// or https:// URL: " + net::url_problem(out.url)};
  if (parsed->target.find('?') != std::string::npos)
    return connection_problem{"the server URL from " + out.url_from +
                              " has a query; give the server's address alone, such as "
                              "http://127.0.0.1:8765"};

  if (present(sources.token_file_option)) {
    auto token = token_from_file(*sources.token_file_option, "--token-file");
    if (auto* problem = std::get_if<connection_problem>(&token)) return *problem;
    out.token = std::get<std::string>(token);
    out.token_from = "--token-file";
  } else if (present(sources.env_token)) {
    if (url_place < 1 && without_trailing_slashes(sources.env_url.value_or("")) != out.url)
      return connection_problem{
          "the URL comes from " + out.url_from +
          " but the token from BLUEGREEN_TOKEN, which may belong to another server; give "
          "--token-file FILE too (or unset BLUEGREEN_TOKEN to connect without a token)"};
    out.token = trimmed(*sources.env_token);
    out.token_from = "BLUEGREEN_TOKEN";
  } else if (present(config.token_file)) {
    if (url_place < 2 && without_trailing_slashes(config.url.value_or("")) != out.url)
      return connection_problem{
          "the URL comes from " + out.url_from + " but the token from token_file in " +
          file_name + ", which may belong to another server; give --token-file FILE too"};
    auto token = token_from_file(*config.token_file, "token_file in " + file_name);
    if (auto* problem = std::get_if<connection_problem>(&token)) return *problem;
    out.token = std::get<std::string>(token);
    out.token_from = "token_file in " + file_name;
  }
  if (out.token && !parsed->tls() && !is_loopback(parsed->host))
    out.warning = "the token goes to " + parsed->host +
                  " over plain http://, readable on the way; use https:// (or an SSH tunnel to "
                  "127.0.0.1)";
  return out;
}

}  // namespace bluegreen::cli
