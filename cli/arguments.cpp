#include "cli/arguments.hpp"

#include <algorithm>
#include <charconv>

namespace bluegreen::cli {

namespace {

struct command_spec {
  const char* name;
  command cmd;
  const char* synopsis;              // after "bluegreen "
  const char* what;                  // one line
  std::vector<std::string> options;  // besides the global ones
  size_t min_operands;
  size_t max_operands;
};

const std::vector<command_spec>& specs() {
  static const std::vector<command_spec> all = {
      {"status",
       command::status,
       "status [APP]",
       "every app's live colour, releases, health and locks; or one app in detail",
       {},
       0,
       1},
      {"deploy",
       command::deploy,
       "deploy APP [REF] [--follow [--no-watch]] [--force]",
       "deploy REF (default: the app's default ref) to the idle colour",
       {"--follow", "--no-watch", "--force"},
       1,
       2},
      {"switch",
       command::switch_,
       "switch APP [--to COLOUR] [--weight COLOUR=PERCENT] [--follow [--no-watch]]",
       "move live traffic: to the idle colour, to COLOUR, or split by weight (a canary)",
       {"--to", "--weight", "--follow", "--no-watch"},
       1,
       1},
      {"rollback",
       command::rollback,
       "rollback APP [--follow [--no-watch]]",
       "move all traffic back to the colour that served before the last switch",
       {"--follow", "--no-watch"},
       1,
       1},
      {"lock",
       command::lock,
       "lock APP REASON",
       "lock the app (deploys, switches and tasks are refused until unlocked)",
       {},
       2,
       2},
      {"unlock", command::unlock, "unlock APP", "remove the app's lock", {}, 1, 1},
      {"cancel",
       command::cancel,
       "cancel ID",
       "cancel a running or ready deploy, or a task",
       {},
       1,
       1},
      {"logs",
       command::logs,
       "logs ID [--follow]",
       "an operation's log; --follow: as it is written, until the operation ends",
       {"--follow"},
       1,
       1},
      {"history",
       command::history,
       "history [APP] [--limit N]",
       "the newest operations of APP, or of every app",
       {"--limit"},
       0,
       1},
      {"events",
       command::events,
       "events [--follow] [--limit N]",
       "the audit log; --follow: what happens from now on, as it happens",
       {"--follow", "--limit"},
       0,
       0},
      {"task",
       command::task,
       "task APP NAME [--on COLOUR] [--follow]",
       "run the app's task NAME (on COLOUR instead of the task's own `on`)",
       {"--on", "--follow"},
       2,
       2},
  };
  return all;
}

const command_spec* find_spec(const std::string& name) {
  for (const auto& s : specs())
    if (name == s.name) return &s;
  return nullptr;
}

bool takes_value(const std::string& option) {
  return option == "--url" || option == "--token-file" || option == "--to" ||
         option == "--weight" || option == "--on" || option == "--limit";
}

bool is_colour(const std::string& text) { return text == "blue" || text == "green"; }

std::optional<long long> whole_number(const std::string& text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

usage_error usage(const std::string& message, const std::string& topic = "") {
  const auto* spec = find_spec(topic);
  std::string hint = spec ? std::string("usage: bluegreen ") + spec->synopsis
                          : std::string("see bluegreen --help");
  return {message + "\n" + hint};
}

}  // namespace

std::vector<std::string> command_names() {
  std::vector<std::string> names;
  for (const auto& s : specs()) names.push_back(s.name);
  return names;
}

std::string usage_text(const std::string& topic) {
  if (const auto* spec = find_spec(topic)) {
    std::string text =
        std::string("usage: bluegreen ") + spec->synopsis + "\n\n" + spec->what + ".\n";
    if (spec->cmd == command::deploy || spec->cmd == command::switch_ ||
        spec->cmd == command::rollback || spec->cmd == command::task)
      text +=
          "\nIt answers once the operation is accepted. With --follow it prints the operation's\n"
          "log as it is written, then how it ended, and exits 1 unless it succeeded (or, for a\n"
          "deploy waiting for a switch, is ready).\n";
    if (spec->cmd == command::deploy || spec->cmd == command::switch_ ||
        spec->cmd == command::rollback)
      text +=
          "\nWhen it sent all traffic to one colour and the app has a watch (promote.watch),\n"
          "--follow stays through the watch, which may still roll it back (exit 1); --no-watch\n"
          "stops when the operation ends (Ctrl-C also leaves the watch to bluegreend).\n";
    if (spec->cmd == command::switch_)
      text +=
          "\n--to COLOUR              all traffic to COLOUR (blue or green)\n"
          "--weight COLOUR=PERCENT  a share of the traffic: given once, the other colour\n"
          "                         gets the rest; given for both, adding up to 100\n";
    text +=
        "\nOptions of every command: --url URL, --token-file FILE, --json (see bluegreen "
        "--help).\n";
    return text;
  }
  std::string text =
      "usage: bluegreen [--url URL] [--token-file FILE] [--json] COMMAND [ARGS]\n"
      "\nThe command-line client of bluegreend's REST API.\n\nCommands:\n";
  for (const auto& s : specs()) text += std::string("  ") + s.synopsis + "\n      " + s.what + "\n";
  text +=
      "\nOptions:\n"
      "  --url URL          bluegreend's address, e.g. http://127.0.0.1:8765\n"
      "  --token-file FILE  a file holding the API token\n"
      "  --json             the API's JSON (followed streams: one JSON object per line)\n"
      "  --follow           deploy, switch, rollback, task, logs: stay until the operation ends;\n"
      "                     events: print events as they happen\n"
      "  --no-watch         with --follow: stop when the operation ends, without staying\n"
      "                     through the watch that may still roll a switch back\n"
      "  -h, --help         this text; `bluegreen COMMAND --help` for one command\n"
      "  --version          the client's version\n"
      "\nWhere it connects: --url and --token-file, else BLUEGREEN_URL and BLUEGREEN_TOKEN (the\n"
      "token itself), else `url` and `token_file` in $XDG_CONFIG_HOME/bluegreen/cli.toml\n"
      "(~/.config/bluegreen/cli.toml). A token never goes to a URL from an earlier place than\n"
      "its own (--url with BLUEGREEN_TOKEN: give --token-file too).\n"
      "\nExit status: 0 success; 1 a followed operation did not succeed; 2 bad command line or\n"
      "client configuration; 3 the API refused the request; 4 cannot connect or authenticate;\n"
      "5 server error. See bluegreen(1).\n";
  return text;
}

std::variant<invocation, usage_error> parse_arguments(const std::vector<std::string>& args) {
  invocation inv;
  std::vector<std::string> words;
  std::vector<std::pair<std::string, std::string>> options;  // name, value ("" for flags)
  bool help = false;
  bool version = false;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg == "-" || !arg.starts_with("-")) {
      words.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      help = true;
      continue;
    }
    if (arg == "--version") {
      version = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    static const std::vector<std::string> known = {"--url",    "--token-file", "--json",
                                                   "--follow", "--force",      "--to",
                                                   "--weight", "--on",         "--limit",
                                                   "--no-watch"};
    if (std::find(known.begin(), known.end(), name) == known.end())
      return usage("unknown option '" + name + "'", words.empty() ? "" : words[0]);
    if (takes_value(name)) {
      if (!value) {
        if (i + 1 >= args.size())
          return usage(name + " needs a value", words.empty() ? "" : words[0]);
        value = args[++i];
      }
    } else if (value) {
      return usage(name + " takes no value", words.empty() ? "" : words[0]);
    }
    options.emplace_back(name, value.value_or(""));
  }

  if (version) {
    inv.cmd = command::version;
    return inv;
  }
  if (words.empty()) {
    if (!help) return usage("a command is missing");
    inv.cmd = command::help;
    return inv;
  }
  std::string name = words[0];
  if (name == "help") {
    inv.cmd = command::help;
    if (words.size() > 1) inv.help_topic = words[1];
    return inv;
  }
  if (name == "__complete") {
    inv.cmd = command::complete;
    inv.operands.assign(words.begin() + 1, words.end());
    for (const auto& [option, value] : options) {
      if (option == "--url") inv.url = value;
      if (option == "--token-file") inv.token_file = value;
    }
    return inv;
  }
  const auto* spec = find_spec(name);
  if (!spec) return usage("unknown command '" + name + "'");
  if (help) {
    inv.cmd = command::help;
    inv.help_topic = name;
    return inv;
  }
  inv.cmd = spec->cmd;
  inv.operands.assign(words.begin() + 1, words.end());
  if (inv.operands.size() < spec->min_operands)
    return usage(name + ": " +
                     (inv.operands.empty() ? std::string("an app name is missing")
                                           : std::string("an operand is missing")),
                 name);
  if (inv.operands.size() > spec->max_operands)
    return usage(name + ": unexpected '" + inv.operands[spec->max_operands] + "'" +
                     (spec->cmd == command::lock ? " (quote a reason of several words)" : ""),
                 name);

  for (const auto& [option, value] : options) {
    bool global = option == "--url" || option == "--token-file" || option == "--json";
    if (!global &&
        std::find(spec->options.begin(), spec->options.end(), option) == spec->options.end())
      return usage(name + " takes no " + option, name);
    if (option == "--url")
      inv.url = value;
    else if (option == "--token-file")
      inv.token_file = value;
    else if (option == "--json")
      inv.json = true;
    else if (option == "--follow")
      inv.follow = true;
    else if (option == "--no-watch")
      inv.no_watch = true;
    else if (option == "--force")
      inv.force = true;
    else if (option == "--to") {
      if (!is_colour(value)) return usage("--to is blue or green, not '" + value + "'", name);
      inv.to = value;
    } else if (option == "--on") {
      if (!is_colour(value)) return usage("--on is blue or green, not '" + value + "'", name);
      inv.on = value;
    } else if (option == "--weight") {
      auto eq = value.find('=');
      std::string colour = value.substr(0, eq);
      auto percent = eq == std::string::npos ? std::nullopt : whole_number(value.substr(eq + 1));
      if (!is_colour(colour) || !percent || *percent < 0 || *percent > 100)
        return usage("--weight is COLOUR=PERCENT (blue or green, 0 to 100), not '" + value + "'",
                     name);
      for (const auto& [c, w] : inv.weights)
        if (c == colour) return usage("--weight " + colour + " is given twice", name);
      inv.weights.emplace_back(colour, static_cast<int>(*percent));
    } else if (option == "--limit") {
      auto n = whole_number(value);
      int most = spec->cmd == command::events ? 1000 : 500;
      if (!n || *n < 1 || *n > most)
        return usage(
            "--limit is a number from 1 to " + std::to_string(most) + ", not '" + value + "'",
            name);
      inv.limit = static_cast<int>(*n);
    }
  }
  if (inv.no_watch && !inv.follow) return usage("--no-watch goes with --follow", name);
  if (inv.to && !inv.weights.empty()) return usage("switch takes --to or --weight, not both", name);
  if (inv.weights.size() == 2 && inv.weights[0].second + inv.weights[1].second != 100)
    return usage("the two --weight percentages add up to " +
                     std::to_string(inv.weights[0].second + inv.weights[1].second) + ", not 100",
                 name);
  if (inv.cmd == command::cancel || inv.cmd == command::logs) {
    auto id = whole_number(inv.operands[0]);
    if (!id || *id < 1)
      return usage(
          name + ": ID is an operation's number (such as 42), not '" + inv.operands[0] + "'", name);
  }
  return inv;
}

}  // namespace bluegreen::cli
