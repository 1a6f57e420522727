#include "daemon/traffic/nginx_backend.hpp"

#include <chrono>
#include <set>
#include <sstream>

#include "daemon/file_io.hpp"
#include "daemon/shell_quote.hpp"
#include "daemon/ssh/execute_local.hpp"
#include "daemon/ssh/runner.hpp"
#include "daemon/traffic/nginx_upstream.hpp"
#include "daemon/traffic/shell_job.hpp"

namespace bluegreen::traffic {

using daemon::colour;
using daemon::shell_quote;

namespace {

// Exit codes of the route script, so its failures can be told apart.
constexpr int kWriteFailed = 90;
constexpr int kTestFailed = 91;
constexpr int kReloadFailed = 92;

ssh::job job_for(const std::string& command) {
  ssh::job j;
  j.command = command;
  j.timeout = std::chrono::seconds(60);
  return j;
}

// Runs one operator command on this machine (`started` when its shell was
// started ahead); false when it did not exit 0. Its stderr (and stdout)
// lines are appended to `output`.
bool run_here(const std::string& command, std::vector<std::string>& output,
              int* exit_code = nullptr, std::unique_ptr<ssh::local_command> started = nullptr) {
  auto cancel = ssh::make_cancel_handle();
  ssh::line_sink keep = [&output](std::vector<ssh::output_line>&& lines) {
    for (auto& l : lines) output.push_back(std::move(l.text));
  };
  auto r =
      started ? started->run(*cancel, keep) : ssh::execute_local(job_for(command), *cancel, keep);
  if (r.error != ssh::error_kind::none) output.push_back(r.summary());
  if (exit_code) *exit_code = r.exit_code.value_or(-1);
  return r.ok();
}

}  // namespace

// What the route step did, from the script over SSH or the local route.
struct route_run {
  std::optional<std::string> transport_error;  // it did not run to an exit
  int code = 0;
  std::string file;        // the upstream file read back after a reload
  std::string error_tail;  // the last stderr lines of the commands
};

nginx_backend::nginx_backend(const daemon::app_config& app, const daemon::nginx_backend& settings,
                             ssh::runner& runner)
    : app_name_(app.name),
      settings_(settings),
      blue_upstreams_(app.blue.upstreams),
      green_upstreams_(app.green.upstreams),
      runner_(runner) {}

nginx_backend::~nginx_backend() = default;

std::string nginx_backend::test_and_reload() const {
  return "{ " + settings_.test_command + "\n} || exit " + std::to_string(kTestFailed) + "\n{ " +
         settings_.reload_command + "\n} || exit " + std::to_string(kReloadFailed) + "\n";
}

boost::asio::awaitable<void> nginx_backend::prepare_route() {
  if (settings_.host) co_return;
  std::function<void()> start = [this] {
    std::lock_guard lock(ready_mutex_);
    if (ready_) return;
    // Preparing is optional: a shell that cannot be started now is started
    // by the route, which then reports why.
    try {
      auto started = ssh::local_command::start(job_for(test_and_reload()));
      if (started) ready_ = std::move(started.value());
    } catch (const std::exception&) {
      ready_.reset();
    }
  };
  co_await runner_.offload(start);
}

std::string nginx_backend::render(const routing& target) const {
  auto generation = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  return render_upstream(layout(), target, generation);
}

outcome nginx_backend::parse(const std::string& file) const {
  return parse_upstream(layout(), file);
}

upstream_layout nginx_backend::layout() const {
  return upstream_layout{app_name_, settings_.upstream_name, settings_.upstream_file,
                         blue_upstreams_, green_upstreams_};
}

boost::asio::awaitable<outcome> nginx_backend::current(log_fn) {
  if (!settings_.host) {
    // On this machine the file is read directly: no shell to start.
    std::optional<daemon::result<std::string>> text;
    std::function<void()> read = [&] { text = daemon::read_file_text(settings_.upstream_file); };
    co_await runner_.offload(read);
    if (!*text) {
      co_return backend_failure("backend_failed", text->error().message);
    }
    co_return parse(text->value());
  }
  // Arguments of co_await calls are named values: GCC 12 destroys some
  // temporaries in a co_await expression twice.
  std::string command = "cat " + shell_quote(settings_.upstream_file.string());
  auto shell = co_await run_shell(runner_, settings_.host, command);
  if (!shell.result.ok()) {
    co_return backend_failure("backend_failed",
                              "cannot read the upstream file " + settings_.upstream_file.string() +
                                  ": " + shell.result.summary(),
                              shell.error_tail());
  }
  co_return parse(shell.out);
}

route_run nginx_backend::route_here(const std::string& text) {
  route_run run;
  auto failed = [&run](int code, std::string why) {
    run.code = code;
    run.error_tail = std::move(why);
    return run;
  };
  const auto& f = settings_.upstream_file;
  std::optional<std::string> before;
  if (std::filesystem::exists(f)) {
    auto read = daemon::read_file_text(f);
    if (!read) return failed(kWriteFailed, read.error().message);
    before = std::move(read.value());
  }
  // The file is made durable after the reload: a switch waits for the
  // disk once, not before nginx sees the new file.
  if (auto written = daemon::replace_file(f, text, daemon::durability::later); !written)
    return failed(kWriteFailed, written.error().message);
  auto restore = [&] {
    if (before)
      daemon::replace_file(f, *before);
    else
      std::filesystem::remove(f);
  };
  // The test and the reload in one shell: one process started, not two,
  // and none at all when prepare_route() started it ahead.
  std::vector<std::string> output;
  std::string both = test_and_reload();
  std::unique_ptr<ssh::local_command> started;
  {
    std::lock_guard lock(ready_mutex_);
    started = std::move(ready_);
  }
  // A shell that waited long may have been killed meanwhile (the OOM
  // killer, a stray kill): it is not taken for nginx refusing the file.
  // (Its commands are this backend's: a configuration reload makes a new
  // backend.)
  if (started && !started->waiting()) started.reset();
  int code = 0;
  if (!run_here(both, output, &code, std::move(started))) {
    restore();
    if (code == kReloadFailed) {
      std::vector<std::string> ignored;
      run_here(settings_.reload_command, ignored);
      return failed(kReloadFailed, last_lines(output));
    }
    return failed(kTestFailed, last_lines(output));
  }
  if (auto synced = daemon::sync_file(f); !synced)
    return failed(kWriteFailed, synced.error().message);
  auto after = daemon::read_file_text(f);
  if (!after) return failed(kWriteFailed, after.error().message);
  run.file = std::move(after.value());
  return run;
}

boost::asio::awaitable<outcome> nginx_backend::route(routing target, log_fn log) {
  std::string text = render(target);
  route_run run;
  if (!settings_.host) {
    // On this machine: the file is written from here and only the operator's
    // two commands start processes, which keeps a switch fast.
    std::function<void()> work = [&] { run = route_here(text); };
    co_await runner_.offload(work);
  } else {
    std::string f = shell_quote(settings_.upstream_file.string());
    std::string restore = "if [ -e \"$old\" ]; then mv -f \"$old\" \"$f\"; else rm -f \"$f\"; fi";
    std::string script = "f=" + f +
                         "; new=\"$f.bluegreen-new\"; old=\"$f.bluegreen-old\"\n"
                         "printf '%s' " +
                         shell_quote(text) + " > \"$new\" || exit " + std::to_string(kWriteFailed) +
                         "\n"
                         "if [ -e \"$f\" ]; then cp -p \"$f\" \"$old\" || exit " +
                         std::to_string(kWriteFailed) +
                         "; else rm -f \"$old\"; fi\n"
                         "mv -f \"$new\" \"$f\" || exit " +
                         std::to_string(kWriteFailed) +
                         "\n"
                         "if ! { " +
                         settings_.test_command + "\n} >&2; then " + restore + "; exit " +
                         std::to_string(kTestFailed) +
                         "; fi\n"
                         "if ! { " +
                         settings_.reload_command + "\n} >&2; then " + restore + "; { " +
                         settings_.reload_command + "\n} >/dev/null 2>&1; exit " +
                         std::to_string(kReloadFailed) +
                         "; fi\n"
                         "rm -f \"$old\"\n"
                         "cat \"$f\"\n";
    auto shell = co_await run_shell(runner_, settings_.host, script);
    if (shell.result.error != ssh::error_kind::none) {
      run.transport_error = shell.result.summary();
    } else {
      run.code = shell.result.exit_code.value_or(-1);
      run.file = shell.out;
      run.error_tail = shell.error_tail();
    }
  }
  if (run.transport_error) {
    co_return backend_failure("backend_failed",
                              "cannot change the upstream file: " + *run.transport_error);
  }
  // What the commands printed goes to the logs, not into the message.
  if (run.code == kTestFailed) {
    co_return backend_failure("backend_failed",
                              "`" + settings_.test_command +
                                  "` refused the new upstream file; the previous file is back in "
                                  "place (its output is in the operation's log)",
                              run.error_tail);
  }
  if (run.code == kReloadFailed) {
    co_return backend_failure("backend_failed",
                              "`" + settings_.reload_command +
                                  "` failed; the previous file is back in place (its output is "
                                  "in the operation's log)",
                              run.error_tail);
  }
  if (run.code != 0) {
    co_return backend_failure("backend_failed",
                              "writing " + settings_.upstream_file.string() +
                                  " failed (the output is in the operation's log)",
                              run.error_tail);
  }
  if (log)
    log("nginx: wrote " + settings_.upstream_file.string() + " routing " + target.describe() +
        ", tested and reloaded");
  auto now = parse(run.file);
  if (now && !(now.value() == target))
    co_return backend_failure("not_applied", "after the reload the upstream file routes to " +
                                                 now.value().describe() + ", not " +
                                                 target.describe());
  co_return now;
}

}  // namespace bluegreen::traffic
