#include "daemon/service.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <functional>

#include "api/application.hpp"
#include "api/github_routes.hpp"
#include "api/metrics_routes.hpp"
#include "api/chat_routes.hpp"
#include "api/server.hpp"
#include "daemon/chat/chat_service.hpp"
#include "daemon/config.hpp"
#include "daemon/duration.hpp"
#include "daemon/engine/engine.hpp"
#include "daemon/engine/task_group.hpp"
#include "daemon/logging.hpp"
#include "daemon/hook_secrets.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/session_service.hpp"
#include "daemon/ssh/local_command_records.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/state_dir_lock.hpp"
#include "daemon/token_service.hpp"
#include "storage/database.hpp"

namespace bluegreen::daemon {

namespace asio = boost::asio;

namespace {

ssh::options ssh_options_of(const config& cfg) {
  ssh::options o;
  o.known_hosts = cfg.ssh.known_hosts;
  o.identity = cfg.ssh.identity;
  o.use_agent = cfg.ssh.use_agent;
  o.connect_timeout = cfg.ssh.connect_timeout;
  o.keepalive = cfg.ssh.keepalive;
  return o;
}

void notify(const std::string& state) { sd_notify(0, state.c_str()); }

// host:port as a URL writes it (an IPv6 address in brackets).
std::string address_text(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

// A scraper or two; the open metrics address needs no more.
constexpr std::size_t kMetricsConnections = 32;

// Runs `work` on the loop every `interval` until `timer` is cancelled.
void repeat_every(asio::steady_timer& timer, std::chrono::steady_clock::duration interval,
                  std::function<void()> work) {
  timer.expires_after(interval);
  timer.async_wait([&timer, interval, work = std::move(work)](const boost::system::error_code& ec) {
    if (ec) return;
    work();
    repeat_every(timer, interval, work);
  });
}

void print_errors(const config_result& loaded) {
  for (const auto& e : loaded.errors) spdlog::error("{}", e.to_string());
}

// Local commands are recorded in the state directory while they run; what
// a killed predecessor left running is ended here, before recovery reads
// or changes any routing, so nothing of it can act afterwards.
bool end_leftover_local_commands(const std::filesystem::path& state_dir) {
  auto used = ssh::local_command_records::use_directory(state_dir / "local-commands");
  if (!used) {
    spdlog::error("{}", used.error().message);
    return false;
  }
  for (const auto& e : ssh::local_command_records::end_leftovers(std::chrono::seconds(5)))
    spdlog::warn(
        "ended a local command left running by the previous run: session {} ({} "
        "process(es){}): {}",
        e.session, e.processes, e.killed ? ", SIGKILL after 5 s" : "", e.command);
  return true;
}

}  // namespace

int run_service(const command_line& cl) {
  auto loaded = load_config(cl.config_path);
  if (!loaded.value) {
    setup_logging(cl.log_level.value_or("info"));
    print_errors(loaded);
    spdlog::error("not starting: the configuration has {} error(s)", loaded.errors.size());
    return exit_failure;
  }
  auto cfg = loaded.value;
  if (!setup_logging(cl.log_level.value_or(cfg->server.log_level))) {
    setup_logging("info");
    spdlog::error("unknown log level \"{}\": expected trace, debug, info, warn, error, critical "
                  "or off", *cl.log_level);
    return exit_usage;
  }

  std::error_code fs_ec;
  bool fresh_state_dir = !std::filesystem::exists(cfg->server.state_dir, fs_ec);
  std::filesystem::create_directories(cfg->server.state_dir, fs_ec);
  if (fs_ec) {
    spdlog::error("cannot create state directory {}: {}", cfg->server.state_dir.string(),
                  fs_ec.message());
    return exit_startup;
  }
  if (fresh_state_dir)
    std::filesystem::permissions(cfg->server.state_dir, std::filesystem::perms::owner_all, fs_ec);
  // One daemon per state directory, decided before anything is read or
  // changed; the lock lasts until the process ends.
  auto state_lock = state_dir_lock::acquire(cfg->server.state_dir);
  if (!state_lock) {
    spdlog::error("{}", state_lock.error().message);
    return exit_startup;
  }
  if (!end_leftover_local_commands(cfg->server.state_dir)) return exit_startup;
  std::string db_error;
  auto db = storage::database::open(cfg->server.state_dir / "state.db", {}, db_error);
  if (!db) {
    spdlog::error("{}", db_error);
    return exit_startup;
  }

  asio::io_context io(1);
  // A traffic worker per app (at least 4): one app whose load balancer hangs
  // for a minute can never make another app's rollback wait.
  unsigned traffic_workers = std::max<unsigned>(4, static_cast<unsigned>(cfg->apps.size()));
  ssh::runner runner(io, ssh_options_of(*cfg), cfg->ssh.workers, traffic_workers);
  std::unique_ptr<engine::engine> core_owner;
  try {
    core_owner = std::make_unique<engine::engine>(io, cfg, *db, runner);
  } catch (const std::exception& e) {
    spdlog::error("cannot use state database {}: {}", db->path().string(), e.what());
    return exit_startup;
  }
  engine::engine& core = *core_owner;
  token_service tokens(*db);
  session_service sessions(*db, tokens);
  sessions.prune_expired();
  hook_secrets hooks;
  hooks.load(*cfg);
  api::application app(core, tokens, sessions);
  engine::task_group hook_tasks(io);
  api::add_github_routes(app, core, *db, hooks, hook_tasks,
                         {.max_body_bytes = cfg->github.max_body_bytes});
  chat::chat_service chat(io, core);
  api::add_chat_routes(app, chat, core, hooks, *db);
  // Notifications follow the event stream from here: what recovery records
  // (operations interrupted by the last stop) is told too.
  notify::notifier notifier(io, core, *db);
  notifier.start(cfg);
  // /metrics reads the runner's and the notifier's counters through these;
  // neither the engine nor the API knows of them.
  api::metrics_sources metrics_sources{
      [&runner] { return runner.connections(); },
      [&notifier] {
        return api::notification_counts{notifier.sent(), notifier.failed(), notifier.dropped()};
      }};
  api::add_metrics_route(app, false, core, app.requests(), metrics_sources);

  api::server_options options;
  options.host = cfg->server.listen_host;
  options.port = cfg->server.listen_port;
  options.max_body_bytes = cfg->server.max_body_bytes;
  options.max_header_bytes = cfg->server.max_header_bytes;
  options.read_timeout = cfg->server.read_timeout;
  options.write_timeout = cfg->server.write_timeout;
  options.max_connections = cfg->server.max_connections;
  if (cfg->metrics.listen_host) options.descriptors_elsewhere = kMetricsConnections;
  options.body_limit_of = [&app](const api::request& head) { return app.body_limit(head); };
  api::server http(io, options, [&app](const api::request& req) { return app.handle(req); });
  // [metrics] listen: /metrics alone, without a token, on a second address.
  std::unique_ptr<api::application> metrics_app;
  std::unique_ptr<api::server> metrics_http;
  if (cfg->metrics.listen_host) {
    metrics_app = std::make_unique<api::application>(api::application::bare, core, tokens,
                                                     sessions, app.requests());
    api::add_metrics_route(*metrics_app, true, core, app.requests(), metrics_sources);
    api::server_options metrics_options = options;
    metrics_options.host = *cfg->metrics.listen_host;
    metrics_options.port = cfg->metrics.listen_port;
    metrics_options.max_connections = kMetricsConnections;
    metrics_options.descriptors_elsewhere = cfg->server.max_connections;
    metrics_options.body_limit_of = {};
    metrics_http = std::make_unique<api::server>(
        io, metrics_options,
        [&metrics_app](const api::request& req) { return metrics_app->handle(req); });
  }
  // What was running when the daemon last stopped is marked interrupted
  // before requests are taken (one transaction); each app's live colour is
  // then reconciled with its load balancer in the background, and until
  // that is done its traffic operations answer 503 "recovering".
  try {
    core.recover();
  } catch (const std::exception& e) {
    // Serving on state that could not be reconciled would break the promise
    // recovery keeps; the same exit as any other unusable state.
    spdlog::error("cannot use state database {}: recovery failed: {}", db->path().string(),
                  e.what());
    return exit_startup;
  }
  // Signals are caught from before READY=1: one that comes before the loop
  // waits for it is queued, never the default action (which would end the
  // daemon without its graceful stop).
  asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  // What the API serves and who may call each route, for an operator
  // checking what is exposed (and for the test that keeps docs/openapi.yaml
  // true to it).
  for (const auto& r : app.route_table().routes())
    spdlog::debug("serving {} {} ({})", r.methods_text(), r.spec.path(), r.auth_text());
  auto listening = http.start();
  if (!listening) {
    spdlog::error("{}", listening.error().message);
    return exit_startup;
  }
  std::string where = address_text(options.host, http.port());
  spdlog::info("bluegreend {} listening on http://{} with {} app(s), state in {}",
               BLUEGREEN_VERSION, where, cfg->apps.size(), db->path().string());
  if (metrics_http) {
    auto metrics_listening = metrics_http->start();
    if (!metrics_listening) {
      spdlog::error("metrics.listen: {}", metrics_listening.error().message);
      return exit_startup;
    }
    spdlog::info("serving /metrics without a token on http://{}",
                 address_text(*cfg->metrics.listen_host, metrics_http->port()));
  }
  notify("READY=1\nSTATUS=listening on " + where + ", " + std::to_string(cfg->apps.size()) +
         " app(s)");

  // The watchdog is fed from the io_context, so a stuck event loop is what
  // makes systemd restart the daemon.
  asio::steady_timer watchdog(io);
  std::uint64_t watchdog_usec = 0;
  std::function<void()> feed_watchdog;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
    feed_watchdog = [&] {
      notify("WATCHDOG=1");
      watchdog.expires_after(std::chrono::microseconds(watchdog_usec / 2));
      watchdog.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) feed_watchdog();
      });
    };
    feed_watchdog();
  }

  // Requests only note when a token was used; it is written once a minute.
  asio::steady_timer token_flush(io);
  repeat_every(token_flush, token_service::kFlushInterval, [&] { tokens.flush_last_use(); });
  // Expired sessions are refused as they come; the rest are removed hourly.
  asio::steady_timer session_prune(io);
  repeat_every(session_prune, session_service::kPruneInterval, [&] { sessions.prune_expired(); });

  asio::steady_timer stop_deadline(io);
  bool stopping = false;
  std::function<void()> wait_signal;
  int exit_status = exit_ok;
  wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        notify("RELOADING=1");
        auto reloaded = load_config(cl.config_path);
        if (!reloaded.value) {
          print_errors(reloaded);
          spdlog::error("configuration reload rejected ({} error(s)); keeping the running one",
                        reloaded.errors.size());
        } else {
          const auto& next = reloaded.value->server;
          const auto& now = cfg->server;
          if (next.listen_host != now.listen_host || next.listen_port != now.listen_port ||
              next.state_dir != now.state_dir || next.max_body_bytes != now.max_body_bytes ||
              next.max_header_bytes != now.max_header_bytes ||
              next.max_connections != now.max_connections ||
              next.read_timeout != now.read_timeout || next.write_timeout != now.write_timeout)
            spdlog::warn(
                "changes to server.listen, state_dir, max_body_bytes, max_header_bytes, "
                "max_connections, read_timeout and write_timeout take effect at the "
                "next restart");
          if (reloaded.value->github.max_body_bytes != cfg->github.max_body_bytes)
            spdlog::warn("a change to github.max_body_bytes takes effect at the next restart");
          if (reloaded.value->metrics.listen_host != cfg->metrics.listen_host ||
              reloaded.value->metrics.listen_port != cfg->metrics.listen_port)
            spdlog::warn("a change to metrics.listen takes effect at the next restart");
          if (!cl.log_level) setup_logging(next.log_level);
          try {
            core.reload(reloaded.value, {"system", "signal"});
            runner.set_options(ssh_options_of(*reloaded.value));
            hooks.load(*reloaded.value);
            notifier.reload(reloaded.value);
            spdlog::info("configuration reloaded from {}: {} app(s)", cl.config_path.string(),
                         reloaded.value->apps.size());
          } catch (const std::exception& e) {
            spdlog::error("configuration reload failed, keeping the running one: {}", e.what());
          }
        }
        notify("READY=1\nSTATUS=listening on " + where + ", " +
               std::to_string(core.current_config()->apps.size()) + " app(s)");
        wait_signal();
        return;
      }
      std::string name = signo == SIGTERM ? "SIGTERM" : "SIGINT";
      if (stopping) {
        // A second signal: stop now.
        spdlog::warn("received {} again: cancelling running operations", name);
        core.shutdown(name + " while stopping");
        return;
      }
      stopping = true;
      spdlog::info("received {}, stopping", name);
      http.stop();
      if (metrics_http) metrics_http->stop();
      chat.stop();
      watchdog.cancel();
      token_flush.cancel();
      session_prune.cancel();
      hook_tasks.stop();
      // Running operations may finish within server.stop_timeout; then they
      // are cancelled (what they run on hosts is stopped) and recorded as
      // interrupted.
      auto stop_timeout = core.current_config()->server.stop_timeout;
      if (core.running() > 0)
        spdlog::info("waiting up to {} for {} running operation(s)",
                     format_duration(stop_timeout), core.running());
      notify("STOPPING=1\nSTATUS=stopping: " + std::to_string(core.running()) +
             " operation(s) running");
      stop_deadline.expires_after(stop_timeout);
      stop_deadline.async_wait([&core](const boost::system::error_code& ec) {
        if (!ec) core.shutdown("server.stop_timeout passed");
      });
      wait_signal();  // a second signal stops at once
      core.begin_stop([&] {
        stop_deadline.cancel();
        signals.cancel();
        notifier.stop();  // after the last operation's end is stored
      });
    });
  };
  wait_signal();

  try {
    io.run();
  } catch (const std::exception& e) {
    spdlog::critical("event loop failed: {}", e.what());
    exit_status = exit_failure;
  }
  tokens.flush_last_use();
  spdlog::info("stopped");
  return exit_status;
}

}  // namespace bluegreen::daemon
