// engine::run_task: a named one-off job (e.g. a database migration) on one
// or all hosts of a colour, recorded like a deployment.
#include <boost/asio/io_context.hpp>

#include "daemon/engine/engine.hpp"
#include "daemon/engine/flow_support.hpp"
#include "daemon/engine/rules.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/template.hpp"

namespace bluegreen::engine {

namespace asio = boost::asio;
using daemon::colour;

asio::awaitable<result<storage::operation_record>> engine::run_task(std::string app_name,
                                                                    std::string task_name,
                                                                    task_request req, actor who) {
  std::int64_t id = 0;
  auto work =
      accept_task(std::move(app_name), std::move(task_name), std::move(req), std::move(who), id);
  co_return co_await guarded(id, std::move(work));
}

asio::awaitable<result<storage::operation_record>> engine::accept_task(std::string app_name,
                                                                       std::string task_name,
                                                                       task_request req, actor who,
                                                                       std::int64_t& id) {
  auto cfg = cfg_;
  const daemon::app_config* app = cfg->find_app(app_name);
  if (!app)
    co_return unknown_app(app_name);
  auto task = app->tasks.find(task_name);
  if (task == app->tasks.end()) {
    std::string known;
    for (const auto& [name, t] : app->tasks) known += (known.empty() ? "" : ", ") + name;
    co_return failure{failure::kind::not_found, "unknown_task",
                      "app " + app_name + " has no task \"" + task_name + "\"" +
                          (known.empty() ? "" : "; it has: " + known)};
  }
  if (auto refused = refuse_while_recovering(app_name)) co_return *refused;
  auto op = new_operation_for(app_name, operation_kind::task, who);
  op.task = task_name;
  auto begun = begin(*app, op, true);
  if (!begun) co_return begun.error();
  id = begun.value().id;

  colour on = colour::blue;
  if (req.on) {
    on = *req.on;
  } else if (task->second.on == daemon::task_config::target::blue) {
    on = colour::blue;
  } else if (task->second.on == daemon::task_config::target::green) {
    on = colour::green;
  } else {
    auto now = co_await traffic_.establish(*app, false, id);
    if (!now) {
      finish(id, operation_state::failed, now.error());
      co_return now.error();
    }
    on = task->second.on == daemon::task_config::target::live ? now.value().live
                                                              : daemon::other(now.value().live);
  }
  storage::operation_repository(db_).set_colour(id, to_string(on));
  // Read before the hand-over: from here on the operation is the
  // supervisor's, and a failure here must not end it a second time.
  auto accepted = *operation(id);
  supervise(id, run_task_operation(cfg, id, app_name, task_name, on));
  co_return accepted;
}

asio::awaitable<void> engine::run_task_operation(std::shared_ptr<const daemon::config> cfg,
                                                 std::int64_t id, std::string app_name,
                                                 std::string task_name, colour on) {
  const daemon::app_config& app = *cfg->find_app(app_name);
  const daemon::task_config& task = app.tasks.at(task_name);
  const daemon::colour_config& target = app.colour_of(on);
  auto cancel = ops_.cancel_handle(id);
  auto stored = storage::app_state_repository(db_).find(app_name);
  const auto& state = on == colour::blue ? stored->blue : stored->green;

  auto secrets = secret_env(id, app);
  if (!secrets) co_return;
  const std::vector<ssh::env_var>& env = *secrets;
  daemon::template_values values = {{"app", app.name},
                                    {"colour", std::string(to_string(on))},
                                    {"identity", target.identity},
                                    {"url", target.url},
                                    {"ref", state.ref.value_or("")},
                                    {"sha", state.sha.value_or("")}};
  std::string on_name(to_string(on));
  std::vector<daemon::ssh_target> hosts;
  for (const auto& host : target.hosts) {
    hosts.push_back(host);
    if (!task.all_hosts) break;
  }
  if (!co_await prepare_hosts(cfg, id, app_name, on_name, hosts, cancel)) co_return;
  std::string marker = mark_remote(id, hosts);
  std::vector<ssh::job> jobs;
  for (const auto& host : hosts) {
    ssh::job j;
    j.to = ssh::destination{host.user, host.host, host.port};
    values["host"] = host.host;
    j.command = daemon::expand(task.command, values, true);
    j.env = env;
    j.timeout = app.deploy.timeout;
    j.marker = marker;
    jobs.push_back(std::move(j));
  }
  event(id, "task " + task_name + " on " + std::string(to_string(on)) + " (" +
                std::to_string(jobs.size()) + " host(s)): " + task.command);
  ssh::line_sink sink = output_sink(id);
  auto results = co_await runner_.run_all(jobs, sink, cancel);
  std::string failures;
  bool was_cancelled = false;
  for (const auto& r : results) {
    event(id, r.host.label() + ": " + r.summary());
    if (r.error == ssh::error_kind::cancelled) was_cancelled = true;
    if (!r.ok()) failures += (failures.empty() ? "" : "; ") + r.host.label() + ": " + r.summary();
  }
  if (was_cancelled)
    finish(id, operation_state::cancelled, operation_failure("cancelled", "cancelled"));
  else if (!failures.empty())
    finish(id, operation_state::failed,
           operation_failure("task_failed", "task " + task_name + " failed: " + failures));
  else
    finish(id, operation_state::succeeded);
}

}  // namespace bluegreen::engine
