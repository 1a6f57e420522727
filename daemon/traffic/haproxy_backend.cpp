#include "daemon/traffic/haproxy_backend.hpp"

#include <algorithm>
#include <chrono>

#include "daemon/file_io.hpp"
#include "daemon/shell_quote.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/traffic/haproxy_socket.hpp"
#include "daemon/traffic/shell_job.hpp"

namespace bluegreen::traffic {

using daemon::colour;
using daemon::shell_quote;

namespace {

constexpr std::chrono::seconds kSocketTimeout{10};

// Exit codes of the scripts run over SSH, so their failures can be told apart.
constexpr int kNoSocat = 97;
constexpr int kSocketFailed = 93;
constexpr int kRefused = 94;
constexpr int kSaveFailed = 90;

// HAProxy answers a successful `set` with an empty line; anything else is
// its error ("No such server.", "Permission denied", ...).
bool refused(const std::string& reply) {
  return reply.find_first_not_of(" \t\r\n") != std::string::npos;
}

std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text.substr(0, 300);
}

std::string hint_for(const std::string& reply) {
  if (reply.find("Permission denied") != std::string::npos)
    return " (the stats socket needs `level admin`)";
  if (reply.find("static LB algorithm") != std::string::npos)
    return " (use a dynamic `balance` such as roundrobin or leastconn)";
  return "";
}

}  // namespace

// What a route is to change, or why it must not.
struct haproxy_plan {
  std::optional<daemon::failure> refused;
  std::string set;      // `set server` commands, `;`-separated
  std::string restore;  // the commands that put the weights back
  std::string changes;  // "blue1 100->0, green1 0->100", for the log
};

// What applying a change did, here or over SSH.
struct haproxy_run {
  std::optional<daemon::failure> failed;
  std::string saved;  // the state file as saved
};

haproxy_backend::haproxy_backend(const daemon::app_config&, const daemon::haproxy_backend& settings,
                                 ssh::runner& runner)
    : settings_(settings),
      layout_{settings.backend, settings.blue_servers, settings.green_servers},
      runner_(runner) {}

std::string haproxy_backend::where() const {
  return settings_.host ? "HAProxy on " + settings_.host->text + " (" + settings_.socket + ")"
                        : "HAProxy (" + settings_.socket + ")";
}

// The socat address of the socket, for scripts over SSH.
static std::string socat_address(const std::string& socket) {
  return socket.starts_with('/') ? "UNIX-CONNECT:" + socket : "TCP:" + socket;
}

static std::string socat_prelude(const std::string& socket) {
  return "command -v socat >/dev/null 2>&1 || exit " + std::to_string(kNoSocat) +
         "\nsock() { socat -t " + std::to_string(kSocketTimeout.count()) + " -T " +
         std::to_string(kSocketTimeout.count()) + " stdio " + shell_quote(socat_address(socket)) +
         "; }\n";
}

boost::asio::awaitable<daemon::result<std::vector<haproxy_server>>> haproxy_backend::read_state() {
  std::string command = "show servers state " + settings_.backend;
  if (!settings_.host) {
    std::optional<daemon::result<std::string>> reply;
    std::function<void()> work = [&] {
      reply = haproxy_exchange(settings_.socket, command, kSocketTimeout);
    };
    co_await runner_.offload(work);
    if (!*reply) co_return reply->error();
    co_return parse_servers_state(reply->value());
  }
  std::string script = socat_prelude(settings_.socket) + "printf '%s\\n' " + shell_quote(command) +
                       " | sock || exit " + std::to_string(kSocketFailed) + "\n";
  auto shell = co_await run_shell(runner_, settings_.host, script);
  if (shell.result.ok()) co_return parse_servers_state(shell.out);
  if (shell.result.exit_code == kNoSocat)
    co_return backend_failure("backend_failed",
                              "socat is not installed on " + settings_.host->text +
                                  ": the haproxy backend runs it there to reach the admin socket "
                                  "(apt-get install socat)");
  co_return backend_failure(
      "backend_failed",
      "cannot read the server state from " + where() + ": " + shell.result.summary(),
      shell.error_tail());
}

boost::asio::awaitable<outcome> haproxy_backend::current(log_fn) {
  auto state = co_await read_state();
  if (!state) co_return state.error();
  co_return routing_of(layout_, state.value());
}

haproxy_run haproxy_backend::apply_here(const std::string& set, const std::string& restore) const {
  haproxy_run run;
  auto put_back = [&] {
    if (!restore.empty()) (void)haproxy_exchange(settings_.socket, restore, kSocketTimeout);
  };
  if (!set.empty()) {
    auto reply = haproxy_exchange(settings_.socket, set, kSocketTimeout);
    if (!reply) {
      put_back();
      run.failed = reply.error();
      return run;
    }
    if (refused(reply.value())) {
      put_back();
      run.failed = backend_failure("backend_failed",
                                   where() + " refused the change: " + one_line(reply.value()) +
                                       hint_for(reply.value()) + "; the previous weights are back",
                                   set);
      return run;
    }
  }
  auto dump =
      haproxy_exchange(settings_.socket, "show servers state " + settings_.backend, kSocketTimeout);
  std::optional<daemon::failure> why;
  if (!dump)
    why = dump.error();
  else if (auto parsed = parse_servers_state(dump.value()); !parsed)
    why = parsed.error();
  else if (auto saved = daemon::replace_file(settings_.state_file, dump.value()); !saved)
    why = saved.error();
  if (why) {
    put_back();
    run.failed = backend_failure("backend_failed",
                                 "cannot save the server state to " +
                                     settings_.state_file.string() + " (" + why->message +
                                     "), so a reload would lose the change; the previous weights "
                                     "are back",
                                 why->detail);
    return run;
  }
  run.saved = std::move(dump.value());
  return run;
}

boost::asio::awaitable<haproxy_run> haproxy_backend::apply(std::string set, std::string restore) {
  haproxy_run run;
  if (!settings_.host) {
    std::function<void()> work = [&] { run = apply_here(set, restore); };
    co_await runner_.offload(work);
    co_return run;
  }
  std::string f = shell_quote(settings_.state_file.string());
  std::string put_back = restore.empty()
                             ? std::string(":")
                             : "printf '%s\\n' " + shell_quote(restore) + " | sock >/dev/null 2>&1";
  std::string script =
      socat_prelude(settings_.socket) + "f=" + f + "; new=\"$f.bluegreen-new\"\n" +
      (set.empty() ? std::string()
                   : "reply=$(printf '%s\\n' " + shell_quote(set) + " | sock) || { " + put_back +
                         "; exit " + std::to_string(kSocketFailed) +
                         "; }\n"
                         "if [ -n \"$(printf '%s' \"$reply\" | tr -d ' \\t\\r\\n')\" ]; then "
                         "printf '%s\\n' \"$reply\" >&2; " +
                         put_back + "; exit " + std::to_string(kRefused) + "; fi\n") +
      "if ! { printf '%s\\n' " + shell_quote("show servers state " + settings_.backend) +
      " | sock > \"$new\" && head -n 1 \"$new\" | grep -qx 1 && mv -f \"$new\" \"$f\"; }; then "
      "rm -f \"$new\"; " +
      put_back + "; exit " + std::to_string(kSaveFailed) + "; fi\ncat \"$f\"\n";
  auto shell = co_await run_shell(runner_, settings_.host, script);
  if (shell.result.ok()) {
    run.saved = shell.out;
    co_return run;
  }
  auto code = shell.result.exit_code;
  if (shell.result.error != ssh::error_kind::none || !code)
    run.failed = backend_failure("backend_failed",
                                 "cannot change " + where() + ": " + shell.result.summary());
  else if (*code == kNoSocat)
    run.failed = backend_failure("backend_failed",
                                 "socat is not installed on " + settings_.host->text +
                                     ": the haproxy backend runs it there to reach the admin "
                                     "socket (apt-get install socat)");
  else if (*code == kRefused)
    run.failed =
        backend_failure("backend_failed",
                        where() + " refused the change: " + one_line(shell.error_tail()) +
                            hint_for(shell.error_tail()) + "; the previous weights are back",
                        set);
  else if (*code == kSaveFailed)
    run.failed = backend_failure("backend_failed",
                                 "cannot save the server state to " +
                                     settings_.state_file.string() + " on " + settings_.host->text +
                                     ", so a reload would lose the change; the previous weights "
                                     "are back (the output is in the operation's log)",
                                 shell.error_tail());
  else
    run.failed = backend_failure(
        "backend_failed",
        "cannot reach the admin socket of " + where() + " (the output is in the operation's log)",
        shell.error_tail());
  co_return run;
}

haproxy_plan haproxy_backend::plan(const std::vector<haproxy_server>& state,
                                   const routing& target) const {
  haproxy_plan p;
  auto mine = layout_servers(layout_, state);
  if (!mine) {
    p.refused = mine.error();
    return p;
  }
  // Every server of a colour that is to take traffic must be UP now: moving
  // traffic to servers HAProxy does not use would answer 503.
  std::string not_up;
  std::string colours;
  for (const auto& [c, share] : target.weights) {
    if (share <= 0) continue;
    colours += (colours.empty() ? "" : " and ") + std::string(daemon::to_string(c));
    const auto& names = c == colour::blue ? layout_.blue : layout_.green;
    for (const auto& s : mine.value())
      if (std::find(names.begin(), names.end(), s.name) != names.end() && !s.up())
        not_up += (not_up.empty() ? "" : ", ") + s.name + " is " + s.state_text();
  }
  if (!not_up.empty()) {
    auto now = routing_of(layout_, state);
    p.refused = backend_failure(
        "servers_not_up", "refusing to route to " + colours + ": in HAProxy backend " +
                              settings_.backend + ", " + not_up +
                              " (`show servers state`); traffic stays " +
                              (now ? "on " + now.value().describe() : std::string("as it was")) +
                              ". Bring the servers up (health check passing, `set server " +
                              settings_.backend + "/NAME state ready`) and switch again");
    return p;
  }
  auto weights = weights_for(layout_, target);
  if (!weights) {
    p.refused =
        backend_failure("weights_out_of_range",
                        "HAProxy's server weights (1-256) cannot split " + target.describe() +
                            " over " + std::to_string(layout_.blue.size()) + " blue and " +
                            std::to_string(layout_.green.size()) +
                            " green servers; choose a share nearer the middle");
    return p;
  }
  // Weights rising first and falling last, in one line: at every moment
  // some server of the backend takes traffic.
  std::string rise, fall, undo_rise, undo_fall;
  for (const auto& s : mine.value()) {
    int to = weights->at(s.name);
    if (to == s.weight) continue;
    std::string cmd = "set server " + settings_.backend + "/" + s.name + " weight ";
    std::string& forward = to > s.weight ? rise : fall;
    std::string& back = to > s.weight ? undo_fall : undo_rise;
    forward += (forward.empty() ? "" : "; ") + cmd + std::to_string(to);
    back += (back.empty() ? "" : "; ") + cmd + std::to_string(s.weight);
    p.changes += (p.changes.empty() ? "" : ", ") + s.name + " " + std::to_string(s.weight) + "->" +
                 std::to_string(to);
  }
  p.set = rise + (rise.empty() || fall.empty() ? "" : "; ") + fall;
  p.restore = undo_rise + (undo_rise.empty() || undo_fall.empty() ? "" : "; ") + undo_fall;
  return p;
}

boost::asio::awaitable<outcome> haproxy_backend::route(routing target, log_fn log) {
  haproxy_plan p;
  haproxy_run run;
  if (!settings_.host) {
    // On this machine, reading, judging and changing take one trip to a
    // worker thread: the switch is a few socket exchanges.
    std::function<void()> work = [&] {
      auto reply = haproxy_exchange(settings_.socket, "show servers state " + settings_.backend,
                                    kSocketTimeout);
      auto state = reply ? parse_servers_state(reply.value())
                         : daemon::result<std::vector<haproxy_server>>(reply.error());
      if (!state) {
        p.refused = state.error();
        return;
      }
      p = plan(state.value(), target);
      if (!p.refused) run = apply_here(p.set, p.restore);
    };
    co_await runner_.offload(work);
  } else {
    auto state = co_await read_state();
    if (!state) co_return state.error();
    p = plan(state.value(), target);
    if (!p.refused) run = co_await apply(p.set, p.restore);
  }
  if (p.refused) co_return *p.refused;
  if (run.failed) co_return *run.failed;
  if (log)
    log("haproxy: backend " + settings_.backend + " weights " +
        (p.changes.empty() ? std::string("unchanged") : p.changes) + " to route " +
        target.describe() + "; saved the server state to " + settings_.state_file.string());
  auto saved = parse_servers_state(run.saved);
  if (!saved) co_return saved.error();
  auto now = routing_of(layout_, saved.value());
  if (now && !(now.value() == target))
    co_return backend_failure("not_applied", "after the change " + where() + " routes to " +
                                                 now.value().describe() + ", not " +
                                                 target.describe());
  co_return now;
}

}  // namespace bluegreen::traffic
