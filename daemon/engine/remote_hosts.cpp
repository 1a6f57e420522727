// engine::reach_all, stop_leftovers and mark_remote: what an operation
// makes sure of on a colour's hosts before it runs anything there.
#include <spdlog/spdlog.h>

#include <random>
#include <sstream>

#include "daemon/engine/engine.hpp"
#include "daemon/engine/flow_support.hpp"
#include "daemon/engine/rules.hpp"
#include "daemon/shell_quote.hpp"
#include "daemon/ssh/runner.hpp"

namespace bluegreen::engine {

namespace asio = boost::asio;

namespace {

ssh::destination destination_of(const daemon::ssh_target& t) {
  return ssh::destination{t.user, t.host, t.port};
}

// Run on a host: ends the commands an interrupted operation still runs
// there. Its commands carry the marker in their environment, and each ran
// as the leader of a session of its own; the processes of a session whose
// leader still runs are stopped: SIGTERM, then SIGKILL for those still
// there (looked up again) 5 s later. What a command that ended left behind
// (a server started in the background) is left alone.
std::string stop_marked_script(const std::string& marker) {
  return "m=" + daemon::shell_quote("BLUEGREEN_OPERATION=" + marker) +
         "\n"
         "marked() {\n"
         "  leaders= all=\n"
         "  for e in /proc/[0-9]*/environ; do\n"
         "    grep -qFxz -e \"$m\" \"$e\" 2>/dev/null || continue\n"
         "    p=${e%/environ}; p=${p#/proc/}\n"
         "    [ \"$p\" = \"$$\" ] && continue\n"
         "    s=$(cat /proc/$p/stat 2>/dev/null) || continue\n"
         "    set -- ${s##*) }\n"
         "    all=\"$all $p:$4\"\n"
         "    [ \"$p\" = \"$4\" ] && leaders=\"$leaders $p \"\n"
         "  done\n"
         "  [ -n \"$sessions\" ] || sessions=$leaders\n"
         "  pids=\n"
         "  for ps in $all; do\n"
         "    case \"$sessions\" in *\" ${ps#*:} \"*) pids=\"$pids ${ps%%:*}\" ;; esac\n"
         "  done\n"
         "}\n"
         "sessions=\n"
         "marked\n"
         "[ -z \"$pids\" ] && exit 0\n"
         "echo \"stopping what an interrupted operation left running:$pids\"\n"
         "kill -s TERM $pids 2>/dev/null\n"
         "i=0\n"
         "while [ $i -lt 50 ]; do\n"
         "  sleep 0.1; i=$((i + 1))\n"
         "  marked\n"
         "  [ -z \"$pids\" ] && exit 0\n"
         "done\n"
         "kill -s KILL $pids 2>/dev/null\n"
         "exit 0\n";
}

}  // namespace

std::string engine::mark_remote(std::int64_t id, const std::vector<daemon::ssh_target>& hosts) {
  std::random_device random;
  std::uniform_int_distribution<unsigned> nibble(0, 15);
  std::string marker = "op" + std::to_string(id) + "-";
  for (int i = 0; i < 16; ++i) marker += "0123456789abcdef"[nibble(random)];
  // The hosts as they are now: the configuration may move them later.
  std::string where;
  for (const auto& h : hosts)
    where += h.user + "\t" + h.host + "\t" + std::to_string(h.port) + "\n";
  storage::operation_repository(db_).set_remote_marker(id, marker, where);
  return marker;
}

asio::awaitable<std::optional<std::string>> engine::reach_all(std::int64_t id,
                                                              std::vector<daemon::ssh_target> hosts,
                                                              ssh::cancel_handle cancel) {
  std::vector<ssh::job> jobs;
  for (const auto& h : hosts) {
    ssh::job j;
    j.to = destination_of(h);
    j.connect_only = true;
    jobs.push_back(std::move(j));
  }
  ssh::line_sink none;
  auto results = co_await runner_.run_all(jobs, none, cancel);
  std::string failures;
  size_t failed = 0;
  for (const auto& r : results) {
    if (r.ok()) continue;
    ++failed;
    failures += (failures.empty() ? "" : "; ") + r.host.label() + ": " + r.summary();
  }
  if (failed == 0) co_return std::nullopt;
  event(id, "cannot reach " + std::to_string(failed) + " of " + std::to_string(results.size()) +
                " host(s): " + failures);
  co_return "cannot reach " + std::to_string(failed) + " of " + std::to_string(results.size()) +
      " host(s), so nothing was run on any: " + failures;
}

asio::awaitable<std::optional<std::string>> engine::stop_leftovers(
    std::shared_ptr<const daemon::config> cfg, std::optional<std::int64_t> log_to,
    std::string app_name, std::string colour) {
  const daemon::app_config* app = cfg->find_app(app_name);
  storage::operation_repository ops(db_);
  auto say = [&](const std::string& line) {
    if (log_to) event(*log_to, line);
  };
  std::string problems;
  for (const auto& left : ops.leftovers(app_name)) {
    if (!colour.empty() && left.colour != colour) continue;
    if (!app) continue;  // the app left the configuration; kept for when it comes back
    auto c = daemon::parse_colour(left.colour);
    if (!c) {
      ops.set_remote_marker(left.id, std::nullopt);  // it never got as far as a colour
      continue;
    }
    std::vector<ssh::destination> where;
    std::istringstream lines(left.hosts);
    std::string user, host, port;
    while (std::getline(lines, user, '\t') && std::getline(lines, host, '\t') &&
           std::getline(lines, port))
      where.push_back({user, host, static_cast<std::uint16_t>(std::stoul(port))});
    if (where.empty())
      for (const auto& h : app->colour_of(*c).hosts) where.push_back(destination_of(h));
    std::vector<ssh::job> jobs;
    for (const auto& to : where) {
      ssh::job j;
      j.to = to;
      j.command = stop_marked_script(left.marker);
      j.timeout = std::chrono::seconds(30);
      jobs.push_back(std::move(j));
    }
    say("stopping what interrupted operation #" + std::to_string(left.id) +
        " may have left running on " + left.colour);
    std::vector<std::string> said;
    ssh::line_sink keep = [&said](std::vector<ssh::output_line>&& lines) {
      for (auto& l : lines) said.push_back(l.host + ": " + l.text);
    };
    ssh::cancel_handle no_cancel;
    auto results = co_await runner_.run_all(jobs, keep, no_cancel);
    for (const auto& line : said) {
      say(line);
      spdlog::info("{}: operation #{}: {}", app_name, left.id, line);
    }
    std::string failures;
    for (const auto& r : results)
      if (!r.ok()) failures += (failures.empty() ? "" : "; ") + r.host.label() + ": " + r.summary();
    if (failures.empty()) {
      ops.set_remote_marker(left.id, std::nullopt);
      continue;
    }
    spdlog::warn("{}: cannot stop what operation #{} may have left running: {}", app_name, left.id,
                 failures);
    problems += (problems.empty() ? "" : "; ") + std::string("operation #") +
                std::to_string(left.id) + " may still run commands on " + left.colour +
                " and they could not be stopped (" + failures + ")";
  }
  if (problems.empty()) co_return std::nullopt;
  co_return problems;
}

asio::awaitable<bool> engine::prepare_hosts(std::shared_ptr<const daemon::config> cfg,
                                            std::int64_t id, std::string app_name,
                                            std::string colour,
                                            std::vector<daemon::ssh_target> hosts,
                                            ssh::cancel_handle cancel) {
  auto unreachable = co_await reach_all(id, hosts, cancel);
  if (cancel->cancelled()) {
    finish(id, operation_state::cancelled,
           operation_failure("cancelled", "cancelled while connecting to the hosts"));
    co_return false;
  }
  if (unreachable) {
    finish(id, operation_state::failed, operation_failure("hosts_unreachable", *unreachable));
    co_return false;
  }
  std::optional<std::int64_t> log_to = id;
  auto left = co_await stop_leftovers(cfg, log_to, app_name, colour);
  if (left) {
    finish(id, operation_state::failed,
           operation_failure("leftovers_running", *left + ". Nothing was run"));
    co_return false;
  }
  co_return true;
}

}  // namespace bluegreen::engine
