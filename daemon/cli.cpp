#include "daemon/cli.hpp"

#include <algorithm>
#include <cstdlib>

namespace bluegreen::daemon {

namespace {

failure bad_usage(std::string message) {
  return failure{failure::kind::invalid, "usage", std::move(message)};
}

}  // namespace

std::string usage_text() {
  return R"(Usage:
  bluegreend [run] [--config FILE] [--log-level LEVEL]
                                    run the daemon (the default command)
  bluegreend check-config [--config FILE]
                                    check the configuration; prints "ok" or the errors
  bluegreend token create NAME --scope metrics|read|deploy|admin [--config FILE]
                                    create an API token; its secret is printed once
  bluegreend token list [--config FILE]
  bluegreend token revoke NAME [--config FILE]
  bluegreend --help | --version

Options:
  --config FILE      configuration file (default: $BLUEGREEN_CONFIG, else
                     /etc/bluegreen/bluegreen.toml)
  --log-level LEVEL  trace, debug, info, warn, error, critical or off
                     (default: server.log_level, else info)

Exit codes: 0 ok, 1 failure (invalid configuration, failed command),
2 bad command line, 3 cannot start (state database, another daemon on the
same state_dir, or listen address).
)";
}

result<command_line> parse_command_line(const std::vector<std::string>& args) {
  command_line cl;
  std::string error_message;
  if (const char* env = std::getenv("BLUEGREEN_CONFIG"); env && *env) cl.config_path = env;
  std::vector<std::string> positional;
  bool scope_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& name) -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        error_message = name + " needs a value";
        return std::nullopt;
      }
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      cl.cmd = command_line::command::help;
      return cl;
    } else if (a == "--version") {
      cl.cmd = command_line::command::version;
      return cl;
    } else if (a == "--config" || a == "-c") {
      auto v = value(a);
      if (!v) return bad_usage(error_message);
      cl.config_path = *v;
    } else if (a.starts_with("--config=")) {
      cl.config_path = a.substr(9);
    } else if (a == "--log-level" || a.starts_with("--log-level=")) {
      std::optional<std::string> v;
      if (a == "--log-level") {
        v = value(a);
        if (!v) return bad_usage(error_message);
      } else {
        v = a.substr(12);
      }
      constexpr std::string_view kLevels[] = {"trace", "debug", "info",    "warn",
                                              "error", "critical", "off"};
      if (std::find(std::begin(kLevels), std::end(kLevels), *v) == std::end(kLevels)) {
        error_message = "unknown log level \"" + *v +
                        "\": expected trace, debug, info, warn, error, critical or off";
        return bad_usage(error_message);
      }
      cl.log_level = *v;
    } else if (a == "--scope") {
      auto v = value(a);
      if (!v) return bad_usage(error_message);
      auto s = parse_scope(*v);
      if (!s) {
        error_message = "unknown scope \"" + *v + "\": expected metrics, read, deploy or admin";
        return bad_usage(error_message);
      }
      cl.token_scope = *s;
      scope_given = true;
    } else if (a.starts_with("-")) {
      error_message = "unknown option " + a;
      return bad_usage(error_message);
    } else {
      positional.push_back(a);
    }
  }
  auto expect_count = [&](size_t n, const char* form) {
    if (positional.size() != n) {
      error_message = std::string("usage: bluegreend ") + form;
      return false;
    }
    return true;
  };
  if (positional.empty() || positional[0] == "run") {
    if (positional.size() > 1 && !expect_count(1, "run [--config FILE]"))
      return bad_usage(error_message);
    cl.cmd = command_line::command::run;
  } else if (positional[0] == "check-config") {
    if (!expect_count(1, "check-config [--config FILE]")) return bad_usage(error_message);
    cl.cmd = command_line::command::check_config;
  } else if (positional[0] == "token") {
    std::string sub = positional.size() > 1 ? positional[1] : "";
    if (sub == "create") {
      if (!expect_count(3, "token create NAME --scope metrics|read|deploy|admin"))
        return bad_usage(error_message);
      if (!scope_given) {
        error_message = "token create needs --scope metrics, read, deploy or admin";
        return bad_usage(error_message);
      }
      cl.cmd = command_line::command::token_create;
      cl.token_name = positional[2];
    } else if (sub == "list") {
      if (!expect_count(2, "token list")) return bad_usage(error_message);
      cl.cmd = command_line::command::token_list;
    } else if (sub == "revoke") {
      if (!expect_count(3, "token revoke NAME")) return bad_usage(error_message);
      cl.cmd = command_line::command::token_revoke;
      cl.token_name = positional[2];
    } else {
      error_message = "usage: bluegreend token create|list|revoke ...";
      return bad_usage(error_message);
    }
  } else {
    error_message = "unknown command \"" + positional[0] + "\"";
    return bad_usage(error_message);
  }
  if (scope_given && cl.cmd != command_line::command::token_create) {
    error_message = "--scope only goes with token create";
    return bad_usage(error_message);
  }
  return cl;
}

}  // namespace bluegreen::daemon
