#include "daemon/ssh/execute_local.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <initializer_list>
#include <string_view>

#include "daemon/duration.hpp"
#include "daemon/ssh/local_command_records.hpp"
#include "daemon/ssh/output_splitter.hpp"

extern char** environ;

namespace bluegreen::ssh {

namespace {
using clock = std::chrono::steady_clock;

// The shell waits for a line on fd 3 before it runs the command: the
// command is recorded first (see local_command_records), and if the daemon
// dies before that, the shell sees end of file and exits. It waits after
// its exec, so that running the command later starts no process. On the
// command's first line, so that the shell's messages keep its line numbers.
constexpr std::string_view kWaitForGo =
    "read -r bluegreen_go <&3 || exit 127; unset bluegreen_go; exec 3<&-; ";

void close_all(std::initializer_list<int> fds) {
  for (int fd : fds)
    if (fd >= 0) close(fd);
}

}  // namespace

daemon::result<std::unique_ptr<local_command>> local_command::start(const job& j) {
  auto failed = [](std::string code, std::string message) {
    return daemon::failure{daemon::failure::kind::internal, std::move(code), std::move(message)};
  };
  std::unique_ptr<local_command> c(new local_command);
  c->job_ = j;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return failed("start_failed", "pipe failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close_all({out_pipe[0], out_pipe[1]});
    return failed("start_failed", "pipe failed");
  }
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& var : j.env) env.push_back(var.name + "=" + var.value);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string script = std::string(kWaitForGo) + j.command;
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};

  // A socket pair rather than a pipe, so that the go line can be sent with
  // MSG_NOSIGNAL should the shell be gone already.
  int go[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0) {
    close_all({out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]});
    return failed("start_failed", "socketpair failed");
  }
  // posix_spawn (a vfork-like clone in glibc) rather than fork: copying the
  // daemon's page tables would stall its io thread for milliseconds, right
  // while a switch probes the app. In the child: every signal back to its
  // default (ignored ones too, which exec would keep) and none blocked,
  // which glibc does with signals blocked until then, so that a stop sent
  // to the new process group at once is neither lost nor handled as if the
  // daemon had received it; its own session and process group, so a stop
  // reaches everything it started; stdin from /dev/null. Nothing of the
  // daemon lives on in the command or what it leaves running (not the
  // listening socket, client connections, the state lock or the database):
  // every descriptor from 4 up is closed.
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_adddup2(&actions, go[0], 3);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID);
  pid_t pid = -1;
  int spawned =
      posix_spawn(&pid, "/bin/sh", &actions, &attributes, const_cast<char**>(argv), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    close_all({out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], go[0], go[1]});
    return failed("start_failed", std::string("cannot start /bin/sh: ") + std::strerror(spawned));
  }
  close_all({go[0], out_pipe[1], err_pipe[1]});
  c->pid_ = pid;
  c->go_ = go[1];
  c->out_ = out_pipe[0];
  c->err_ = err_pipe[0];
  auto record = local_command_records::add(pid, j.command);
  if (!record) return record.error();  // the destructor ends the shell
  c->record_ = std::move(record.value());
  return c;
}

local_command::~local_command() {
  close_all({go_, out_, err_});
  if (pid_ < 0 || reaped_) return;
  // Not run (or left by a run that threw): the shell reads the end of its
  // go socket and exits. Killed as well, so that nothing waits on a shell
  // that is slow to be scheduled, or on what a command started.
  kill(-pid_, SIGKILL);
  int ignored = 0;
  waitpid(pid_, &ignored, 0);
  if (!record_.empty()) local_command_records::remove(record_);
}

bool local_command::waiting() const {
  if (pid_ < 0 || ran_) return false;
  siginfo_t info{};
  // WNOWAIT: a shell that has exited stays to be reaped by the destructor.
  if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return false;
  return info.si_pid == 0;
}

job_result execute_local(const job& j, const cancel_flag& cancel, const line_sink& sink) {
  auto started = local_command::start(j);
  if (!started) {
    job_result result;
    result.host = j.to;
    result.error = error_kind::channel_error;
    result.message = started.error().code == "records_unavailable"
                         ? started.error().message
                         : "cannot start the local command: " + started.error().message;
    return result;
  }
  return started.value()->run(cancel, sink);
}

job_result local_command::run(const cancel_flag& cancel, const line_sink& sink) {
  const job& j = job_;
  auto started = clock::now();
  job_result result;
  result.host = j.to;
  auto finish = [&](error_kind kind, std::string message) {
    result.error = kind;
    result.message = std::move(message);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started);
    return result;
  };
  if (ran_) return finish(error_kind::channel_error, "the local command was already run");
  ran_ = true;
  pid_t pid = pid_;
  // A shell that is gone already (a syntax error on the command's first
  // line ends it before it waits) tells why on stderr and in its status.
  send(go_, "g\n", 2, MSG_NOSIGNAL);
  close(go_);
  go_ = -1;

  output_splitter splitter(j);
  std::vector<output_line> batch;
  auto flush = [&] {
    if (!batch.empty() && sink) sink(std::move(batch));
    batch.clear();
  };

  auto deadline = started + j.timeout;
  // The members keep the descriptors until each is closed here, so that a
  // sink that throws leaves them to the destructor.
  int* fds_open[2] = {&out_, &err_};
  std::optional<error_kind> stopped;
  while (*fds_open[0] >= 0 || *fds_open[1] >= 0) {
    pollfd fds[3] = {
        {*fds_open[0], POLLIN, 0}, {*fds_open[1], POLLIN, 0}, {cancel.fd(), POLLIN, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) {
      stopped = error_kind::timeout;
      break;
    }
    poll(fds, 3, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (cancel.cancelled()) {
      stopped = error_kind::cancelled;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (*fds_open[i] < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[32 * 1024];
      ssize_t n = read(*fds_open[i], buffer, sizeof buffer);
      if (n <= 0) {
        close(*fds_open[i]);
        *fds_open[i] = -1;
      } else {
        splitter.feed(i == 0 ? stream::out : stream::err,
                      std::string_view(buffer, static_cast<size_t>(n)), batch);
      }
    }
    flush();
  }
  close_all({out_, err_});
  out_ = err_ = -1;
  int status = 0;
  if (stopped) {
    // SIGTERM to the whole group, SIGKILL for what is still there 5 s later.
    kill(-pid, SIGTERM);
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    pollfd exited{pidfd, POLLIN, 0};
    if (pidfd < 0 || poll(&exited, 1, 5000) <= 0) kill(-pid, SIGKILL);
    if (pidfd >= 0) close(pidfd);
  }
  pid_t waited = waitpid(pid, &status, 0);
  int wait_error = errno;
  reaped_ = true;
  if (!record_.empty()) local_command_records::remove(record_);
  splitter.finish(batch);
  flush();
  // Nothing else in the daemon reaps children; should the shell's status
  // have been taken all the same, say so rather than report a made-up exit.
  if (waited != pid)
    return finish(error_kind::channel_error, "the local command's exit status could not be read: " +
                                                 std::string(std::strerror(wait_error)));
  if (stopped == error_kind::timeout)
    return finish(error_kind::timeout, "the command did not finish within " +
                                           daemon::format_duration(j.timeout) + " and was stopped");
  if (stopped == error_kind::cancelled)
    return finish(error_kind::cancelled, "cancelled; the command was stopped");
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    result.exit_signal = name ? name : std::to_string(WTERMSIG(status));
  } else {
    result.exit_code = WEXITSTATUS(status);
  }
  return finish(error_kind::none, "");
}

}  // namespace bluegreen::ssh
