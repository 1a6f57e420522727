#include "daemon/traffic/command_backend.hpp"

#include <sstream>

#include "daemon/template.hpp"
#include "daemon/traffic/shell_job.hpp"

namespace bluegreen::traffic {

command_backend::command_backend(const daemon::app_config& app,
                                 const daemon::command_backend& settings, ssh::runner& runner)
    : app_name_(app.name), settings_(settings), runner_(runner) {}

boost::asio::awaitable<outcome> command_backend::current(log_fn) {
  // (Named before co_await: GCC 12 mishandles temporaries inside it.)
  daemon::template_values values;
  values["app"] = app_name_;
  std::string command = daemon::expand(settings_.current_command, values, true);
  auto shell = co_await run_shell(runner_, settings_.host, command);
  if (!shell.result.ok()) {
    co_return backend_failure("backend_failed",
                              "current_command failed: " + shell.result.summary(),
                              shell.error_tail());
  }
  std::istringstream words(shell.out);
  std::string first;
  words >> first;
  if (auto r = routing::decode(first)) co_return *r;
  co_return backend_failure("routing_unknown", "current_command printed \"" +
                                                   shell.out.substr(0, 80) +
                                                   "\"; expected \"blue\" or \"green\"");
}

boost::asio::awaitable<outcome> command_backend::route(routing target, log_fn log) {
  auto c = target.single();
  if (!c)
    co_return backend_failure("weights_unsupported",
                              "the command backend cannot split traffic by weight");
  daemon::template_values values;
  values["app"] = app_name_;
  values["colour"] = std::string(daemon::to_string(*c));
  values["weights"] = target.encode();
  std::string command = daemon::expand(settings_.switch_command, values, true);
  auto shell = co_await run_shell(runner_, settings_.host, command);
  if (!shell.result.ok())
    co_return backend_failure("backend_failed", "switch_command failed: " + shell.result.summary(),
                              shell.error_tail());
  auto now = co_await current(log);
  if (now && !(now.value() == target))
    co_return backend_failure("not_applied", "after switch_command, current_command says " +
                                                 now.value().describe() + ", not " +
                                                 target.describe());
  if (now && log) log("switch_command routed traffic to " + target.describe());
  co_return now;
}


}  // namespace bluegreen::traffic
