#include "daemon/traffic/command_backend.hpp"

#include <sstream>

#include "daemon/template.hpp"
#include "daemon/traffic/shell_job.hpp"

namespace bluegreen::traffic {

command_backend::command_backend(const daemon::app_config& app,
                                 const daemon::command_backend& settings, ssh::runner& runner)
    : app_name_(app.name), settings_(settings), runner_(runner) {}

boost::asio::awaitable<outcome> command_backend::current(log_fn log) {
  // (Named before co_await: GCC 12 mishandles temporaries inside it.)
  daemon::template_values values;
  values["app"] = app_name_;
  std::string command = daemon::expand(settings_.current_command, values, true);
  auto shell = co_await run_shell(runner_, settings_.host, command);
  if (!shell.result.ok()) {
    std::string why = shell.result.error != ssh::error_kind::none ? shell.result.summary()
                                                                   : shell.result.summary() + " " + shell.error_tail();
    if (log) log("current_command failed: " + why);
    co_return outcome::failed("current_command failed: " + why);
  }
  std::istringstream words(shell.out);
  std::string first;
  words >> first;
  if (auto r = routing::decode(first)) co_return outcome::routed(*r);
  co_return outcome::failed("current_command printed \"" + shell.out.substr(0, 80) +
                                   "\"; expected \"blue\" or \"green\"");
}

boost::asio::awaitable<outcome> command_backend::route(routing target, log_fn log) {
  auto c = target.single();
  if (!c) co_return outcome::failed("the command backend cannot split traffic by weight");
  daemon::template_values values;
  values["app"] = app_name_;
  values["colour"] = std::string(daemon::to_string(*c));
  values["weights"] = target.encode();
  std::string command = daemon::expand(settings_.switch_command, values, true);
  auto shell = co_await run_shell(runner_, settings_.host, command);
  if (!shell.result.ok())
    co_return outcome::failed("switch_command failed: " + shell.result.summary() + " " + shell.error_tail());
  auto now = co_await current(log);
  if (now.ok && !(now.now == target))
    co_return outcome::failed("after switch_command, current_command says " + now.now.describe() +
                              ", not " + target.describe());
  if (now.ok && log) log("switch_command routed traffic to " + target.describe());
  co_return now;
}


}  // namespace bluegreen::traffic
