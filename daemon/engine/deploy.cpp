// engine::deploy: a release onto the idle colour, then its smoke checks, then
// (promote.mode = auto) the switch.
#include <boost/asio/io_context.hpp>

#include "daemon/checks/smoke_checks.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/engine/flow_support.hpp"
#include "daemon/engine/rules.hpp"
#include "daemon/engine/refs.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/template.hpp"
#include "daemon/traffic/backend.hpp"
#include "storage/transaction.hpp"

namespace bluegreen::engine {

namespace asio = boost::asio;
using daemon::colour;

namespace {

ssh::destination destination_of(const daemon::ssh_target& t) {
  return ssh::destination{t.user, t.host, t.port};
}

}  // namespace

asio::awaitable<result<storage::operation_record>> engine::deploy(std::string app_name,
                                                                  deploy_request req, actor who) {
  std::int64_t id = 0;
  auto work = accept_deploy(std::move(app_name), std::move(req), std::move(who), id);
  co_return co_await guarded(id, std::move(work));
}

asio::awaitable<result<storage::operation_record>> engine::accept_deploy(std::string app_name,
                                                                         deploy_request req,
                                                                         actor who,
                                                                         std::int64_t& id) {
  auto cfg = cfg_;
  const daemon::app_config* app = cfg->find_app(app_name);
  if (!app)
    co_return unknown_app(app_name);
  if (auto why = check_ref(req.ref))
    co_return failure{failure::kind::invalid, "invalid_ref", *why};
  if (auto refused = refuse_while_recovering(app_name)) co_return *refused;

  auto op = new_operation_for(app_name, operation_kind::deploy, who);
  op.ref = req.ref;
  auto begun = begin(*app, op, true);
  if (!begun) co_return begun.error();
  id = begun.value().id;

  // The live colour comes from the load balancer, never from memory alone.
  auto now = co_await traffic_.establish(*app, req.force, id);
  if (!now) {
    finish(id, operation_state::failed, now.error());
    co_return now.error();
  }
  if (now.value().split) {
    failure f{failure::kind::conflict, "canary_in_progress",
              "traffic is split (" + now.value().routing.describe() +
                  "): complete or revert the canary with a switch before deploying"};
    finish(id, operation_state::failed, f);
    co_return f;
  }
  colour idle = daemon::other(now.value().live);
  storage::operation_repository(db_).set_colour(id, to_string(idle));
  event(id, "live colour is " + std::string(to_string(now.value().live)) + "; deploying " +
                req.ref + " to " + std::string(to_string(idle)));
  // A newer deployment replaces one that waits to be switched to.
  for (const auto& waiting : storage::operation_repository(db_).unfinished()) {
    if (waiting.app == app_name && waiting.kind == operation_kind::deploy &&
        waiting.state == operation_state::ready) {
      event(waiting.id, "superseded by deployment #" + std::to_string(id));
      finish(waiting.id, operation_state::cancelled,
             operation_failure("superseded", "superseded by deployment #" + std::to_string(id)));
    }
  }
  watches_.cancel(app_name);
  // Read before the hand-over: from here on the operation is the
  // supervisor's, and a failure here must not end it a second time.
  auto accepted = *operation(id);
  supervise(id, run_deploy(cfg, id, app_name, idle, req, who));
  co_return accepted;
}

asio::awaitable<void> engine::run_deploy(std::shared_ptr<const daemon::config> cfg,
                                         std::int64_t id, std::string app_name, colour idle,
                                         deploy_request req, actor who) {
  const daemon::app_config& app = *cfg->find_app(app_name);
  const daemon::colour_config& target = app.colour_of(idle);
  auto cancel = ops_.cancel_handle(id);
  storage::app_state_repository states(db_);

  auto secrets = secret_env(id, app);
  if (!secrets) co_return;
  const std::vector<ssh::env_var>& env = *secrets;

  daemon::template_values values = {{"app", app.name},
                                    {"ref", req.ref},
                                    {"colour", std::string(to_string(idle))},
                                    {"identity", target.identity},
                                    {"url", target.url}};
  ssh::line_sink sink = output_sink(id);
  auto stopped = [&](const ssh::job_result& r) {
    return r.error == ssh::error_kind::cancelled;
  };

  // 0. Nothing an interrupted operation left there still runs, and every
  // host can be reached: otherwise nothing runs anywhere.
  std::string idle_name(to_string(idle));
  std::vector<daemon::ssh_target> hosts = target.hosts;
  if (!co_await prepare_hosts(cfg, id, app_name, idle_name, hosts, cancel)) co_return;
  {
    // The idle colour's previous release is about to change: it can no
    // longer be rolled back to.
    storage::transaction tx(db_);
    states.set_verified(app_name, idle_name, false);
    auto before = states.find(app_name);
    if (before && before->previous_live == idle_name)
      states.set_previous_live(app_name, std::nullopt);
    tx.commit();
  }
  std::string marker = mark_remote(id, hosts);

  // 1. Resolve the ref to a commit id on one idle host.
  ssh::job resolve;
  resolve.to = destination_of(target.hosts.front());
  values["host"] = target.hosts.front().host;
  resolve.command = daemon::expand(app.deploy.resolve, values, true);
  resolve.env = env;
  resolve.timeout = app.deploy.timeout;
  resolve.marker = marker;
  event(id, "resolving " + req.ref + " on " + resolve.to.label());
  std::string resolved;
  ssh::line_sink resolve_sink = [&resolved, sink](std::vector<ssh::output_line>&& lines) {
    for (const auto& l : lines)
      if (l.from == ssh::stream::out && !l.text.empty()) resolved = l.text;
    sink(std::move(lines));
  };
  auto resolved_result = co_await runner_.run(resolve, resolve_sink, cancel);
  if (stopped(resolved_result)) {
    finish(id, operation_state::cancelled,
           operation_failure("cancelled", "cancelled while resolving " + req.ref));
    co_return;
  }
  while (!resolved.empty() && (resolved.back() == ' ' || resolved.back() == '\r')) resolved.pop_back();
  if (resolved_result.error != ssh::error_kind::none) {
    // The host or the connection, not the ref, is the problem: say so, with
    // its fix.
    finish(id, operation_state::failed,
           operation_failure("resolve_failed",
                             "cannot resolve " + req.ref + " on " + resolve.to.label() + ": " +
                                 resolved_result.summary() +
                                 ". No step was run; live traffic was not touched"));
    co_return;
  }
  if (!resolved_result.ok() || !is_commit_id(resolved)) {
    // What the command printed is in the operation's log, not in the error.
    finish(id, operation_state::failed,
           operation_failure("unknown_ref",
                             "cannot resolve " + req.ref + " on " + resolve.to.label() + " (" +
                                 resolved_result.summary() +
                                 "); is it a branch, tag or commit of the app's repository?",
                             resolved.empty() ? "" : "printed \"" + resolved.substr(0, 80) + "\""));
    co_return;
  }
  storage::operation_repository(db_).set_sha(id, resolved);
  values["sha"] = resolved;
  event(id, req.ref + " is " + resolved);

  // 2. The steps, in order, on every idle host at once.
  for (size_t step = 0; step < app.deploy.steps.size(); ++step) {
    std::vector<ssh::job> jobs;
    for (const auto& host : target.hosts) {
      ssh::job j;
      j.to = destination_of(host);
      values["host"] = host.host;
      j.command = daemon::expand(app.deploy.steps[step], values, true);
      j.env = env;
      j.timeout = app.deploy.timeout;
      j.marker = marker;
      jobs.push_back(std::move(j));
    }
    event(id, "step " + std::to_string(step + 1) + "/" + std::to_string(app.deploy.steps.size()) +
                  " on " + std::to_string(jobs.size()) + " host(s): " + app.deploy.steps[step]);
    auto results = co_await runner_.run_all(jobs, sink, cancel);
    std::string failures;
    size_t failed = 0;
    bool was_cancelled = false;
    for (const auto& r : results) {
      event(id, r.host.label() + ": " + r.summary());
      if (stopped(r)) was_cancelled = true;
      if (!r.ok()) {
        ++failed;
        failures += (failures.empty() ? "" : "; ") + r.host.label() + ": " + r.summary();
      }
    }
    if (was_cancelled) {
      finish(id, operation_state::cancelled,
             operation_failure("cancelled", "cancelled during step " + std::to_string(step + 1)));
      co_return;
    }
    if (failed > 0) {
      finish(id, operation_state::failed,
             operation_failure("steps_failed", "step " + std::to_string(step + 1) + " failed on " +
                                                   std::to_string(failed) + " of " +
                                                   std::to_string(results.size()) + " host(s): " +
                                                   failures + ". Live traffic was not touched"));
      co_return;
    }
  }
  states.record_release(app_name, to_string(idle), req.ref, resolved, who.name);

  // 3. Smoke checks against the idle colour's own URL.
  event(id, "smoke checks against " + target.url);
  std::function<void(const std::string&)> progress = [this, id](const std::string& line) {
    event(id, line);
  };
  std::function<bool()> is_cancelled = [cancel] { return cancel->cancelled(); };
  auto checked =
      co_await checks::run_checks(target.url, app.checks, values, true, progress, is_cancelled);
  if (cancel->cancelled()) {
    finish(id, operation_state::cancelled,
           operation_failure("cancelled", "cancelled during the smoke checks"));
    co_return;
  }
  if (!checked) {
    states.set_health(app_name, to_string(idle), "failing");
    finish(id, operation_state::failed,
           operation_failure("smoke_failed",
                             "smoke checks failed: " + checked.error().message + ". Nothing was switched"));
    co_return;
  }
  bool manual = app.promote.mode == daemon::promote_config::mode::manual;
  {
    // Verified and (manual promotion) ready in one commit.
    storage::transaction tx(db_);
    states.set_verified(app_name, to_string(idle), true);
    states.set_health(app_name, to_string(idle), "ok");
    event(id, std::string(to_string(idle)) + " runs " + req.ref + " (" + resolved.substr(0, 12) +
                  ") and passed its smoke checks");
    if (manual) {
      set_state(id, operation_state::ready);
      storage::lock_repository locks(db_);
      auto held = locks.find(app_name, "operation");
      if (held && held->operation_id == id) locks.release(app_name, "operation");
      event(id, "ready: switch to " + std::string(to_string(idle)) + " when you are");
    }
    tx.commit();
  }

  // 4. Promote.
  if (manual) {
    ops_.release(id);
    co_return;
  }
  auto live = storage::app_state_repository(db_).find(app_name);
  traffic::routing from = traffic::routing::all_to(daemon::other(idle));
  if (live && live->routing)
    if (auto r = traffic::routing::decode(*live->routing)) from = *r;
  traffic::routing to = traffic::routing::all_to(idle);
  auto error = co_await traffic_.change(id, app, from, to, false);
  if (error) {
    error->message = "automatic switch failed: " + error->message;
    finish(id, operation_state::failed, *error);
    co_return;
  }
  finish(id, operation_state::succeeded);
  watches_.start(cfg, id, app_name, from, to);
}

}  // namespace bluegreen::engine
