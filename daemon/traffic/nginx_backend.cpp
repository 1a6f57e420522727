#include "daemon/traffic/nginx_backend.hpp"

#include <chrono>
#include <set>
#include <sstream>

#include "daemon/shell_quote.hpp"
#include "daemon/traffic/shell_job.hpp"

namespace bluegreen::traffic {

using daemon::colour;
using daemon::shell_quote;

namespace {

constexpr std::string_view kMarker = "# Managed by bluegreend";

// Exit codes of the route script, so its failures can be told apart.
constexpr int kWriteFailed = 90;
constexpr int kTestFailed = 91;
constexpr int kReloadFailed = 92;

}  // namespace

nginx_backend::nginx_backend(const daemon::app_config& app, const daemon::nginx_backend& settings,
                             ssh::runner& runner)
    : app_name_(app.name),
      settings_(settings),
      blue_upstreams_(app.blue.upstreams),
      green_upstreams_(app.green.upstreams),
      runner_(runner) {}

std::string nginx_backend::render(const routing& target) const {
  auto generation = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  std::ostringstream out;
  out << kMarker << " for app " << app_name_ << ": routing=" << target.encode()
      << " generation=" << generation << "\n"
      << "# Changes made here by hand are seen as drift; use bluegreend to switch.\n"
      << "upstream " << settings_.upstream_name << " {\n";
  auto servers_of = [&](colour c) -> const std::vector<std::string>& {
    return c == colour::blue ? blue_upstreams_ : green_upstreams_;
  };
  for (const auto& [c, share] : target.weights) {
    const auto& servers = servers_of(c);
    const auto& others = servers_of(daemon::other(c));
    // Each colour's servers together get its share, whatever their counts.
    long weight = target.single() ? 0 : static_cast<long>(share) * static_cast<long>(others.size());
    for (const auto& s : servers) {
      out << "    server " << s;
      if (weight > 0) out << " weight=" << weight;
      out << ";  # " << daemon::to_string(c) << "\n";
    }
  }
  out << "}\n";
  return out.str();
}

outcome nginx_backend::parse(const std::string& file) const {
  std::map<std::string, colour> owner;
  for (const auto& s : blue_upstreams_) owner[s] = colour::blue;
  for (const auto& s : green_upstreams_) owner[s] = colour::green;
  std::map<colour, long> weight_sum;
  std::map<colour, std::set<std::string>> seen;
  std::istringstream in(file);
  std::string line;
  bool in_upstream = false;
  while (std::getline(in, line)) {
    auto hash = line.find('#');
    std::string code = line.substr(0, hash);
    std::istringstream words(code);
    std::string first;
    words >> first;
    if (first == "upstream") {
      std::string name;
      words >> name;
      in_upstream = name == settings_.upstream_name;
      continue;
    }
    if (!in_upstream || first != "server") continue;
    std::string address, option;
    words >> address;
    if (!address.empty() && address.back() == ';') address.pop_back();
    long weight = 1;
    bool down = false;
    while (words >> option) {
      if (!option.empty() && option.back() == ';') option.pop_back();
      if (option.rfind("weight=", 0) == 0) weight = std::atol(option.c_str() + 7);
      if (option == "down" || option == "backup") down = true;
    }
    auto it = owner.find(address);
    if (it == owner.end())
      return outcome::failed("the upstream file routes to " + address +
                                    ", which is in neither colour's upstreams");
    if (down) continue;
    weight_sum[it->second] += weight;
    seen[it->second].insert(address);
  }
  if (weight_sum.empty())
    return outcome::failed("the upstream file " + settings_.upstream_file.string() +
                                  " has no server of upstream " + settings_.upstream_name);
  for (const auto& [c, servers] : seen) {
    const auto& all = c == colour::blue ? blue_upstreams_ : green_upstreams_;
    if (servers.size() != all.size())
      return outcome::failed("the upstream file routes to only some of " +
                                    std::string(daemon::to_string(c)) + "'s servers");
  }
  routing r;
  if (weight_sum.size() == 1) {
    r = routing::all_to(weight_sum.begin()->first);
  } else {
    long total = 0;
    for (const auto& [c, w] : weight_sum) total += w;
    int blue = static_cast<int>((weight_sum[colour::blue] * 100 + total / 2) / total);
    r.weights = {{colour::blue, blue}, {colour::green, 100 - blue}};
  }
  return outcome::routed(r);
}

boost::asio::awaitable<outcome> nginx_backend::current(log_fn log) {
  // Arguments of co_await calls are named values: GCC 12 destroys some
  // temporaries in a co_await expression twice.
  std::string command = "cat " + shell_quote(settings_.upstream_file.string());
  auto shell = co_await run_shell(runner_, settings_.host, command);
  if (!shell.result.ok()) {
    std::string why = shell.result.error != ssh::error_kind::none ? shell.result.summary()
                                                                   : shell.error_tail();
    if (log) log("reading " + settings_.upstream_file.string() + " failed: " + why);
    co_return outcome::failed("cannot read the upstream file " +
                                     settings_.upstream_file.string() + ": " + why);
  }
  co_return parse(shell.out);
}

boost::asio::awaitable<outcome> nginx_backend::route(routing target, log_fn log) {
  std::string f = shell_quote(settings_.upstream_file.string());
  std::string restore =
      "if [ -e \"$old\" ]; then mv -f \"$old\" \"$f\"; else rm -f \"$f\"; fi";
  std::string script =
      "f=" + f + "; new=\"$f.bluegreen-new\"; old=\"$f.bluegreen-old\"\n"
      "printf '%s' " + shell_quote(render(target)) + " > \"$new\" || exit " + std::to_string(kWriteFailed) + "\n"
      "if [ -e \"$f\" ]; then cp -p \"$f\" \"$old\" || exit " + std::to_string(kWriteFailed) + "; else rm -f \"$old\"; fi\n"
      "mv -f \"$new\" \"$f\" || exit " + std::to_string(kWriteFailed) + "\n"
      "if ! { " + settings_.test_command + "\n} >&2; then " + restore + "; exit " + std::to_string(kTestFailed) + "; fi\n"
      "if ! { " + settings_.reload_command + "\n} >&2; then " + restore + "; { " + settings_.reload_command +
      "\n} >/dev/null 2>&1; exit " + std::to_string(kReloadFailed) + "; fi\n"
      "rm -f \"$old\"\n"
      "cat \"$f\"\n";
  auto shell = co_await run_shell(runner_, settings_.host, script);
  if (shell.result.error != ssh::error_kind::none) {
    co_return outcome::failed("cannot change the upstream file: " + shell.result.summary());
  }
  int code = shell.result.exit_code.value_or(-1);
  if (code == kTestFailed) {
    co_return outcome::failed("`" + settings_.test_command + "` refused the new upstream file (" +
                                     shell.error_tail() + "); the previous file is back in place");
  }
  if (code == kReloadFailed) {
    co_return outcome::failed("`" + settings_.reload_command + "` failed (" + shell.error_tail() +
                                     "); the previous file is back in place");
  }
  if (code != 0) {
    co_return outcome::failed("writing " + settings_.upstream_file.string() + " failed (" +
                                     shell.error_tail() + ")");
  }
  if (log) log("nginx: wrote " + settings_.upstream_file.string() + " routing " + target.describe() + ", tested and reloaded");
  auto now = parse(shell.out);
  if (now.ok && !(now.now == target))
    co_return outcome{false, now.now, "after the reload the upstream file routes to " + now.now.describe() +
                                          ", not " + target.describe()};
  co_return now;
}

}  // namespace bluegreen::traffic
