#include "daemon/ssh/execute_local.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "daemon/duration.hpp"
#include "daemon/ssh/local_command_records.hpp"
#include "daemon/ssh/output_splitter.hpp"

extern char** environ;

namespace bluegreen::ssh {

namespace {
using clock = std::chrono::steady_clock;

// In the child, between fork and exec: only async-signal-safe calls.
void close_from(int first) {
  if (syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0) == 0) return;
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = first; fd < (max > 0 ? max : 65536); ++fd) close(static_cast<int>(fd));
}
}  // namespace

job_result execute_local(const job& j, const cancel_flag& cancel, const line_sink& sink) {
  auto started = clock::now();
  job_result result;
  result.host = j.to;
  auto finish = [&](error_kind kind, std::string message) {
    result.error = kind;
    result.message = std::move(message);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started);
    return result;
  };

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return finish(error_kind::channel_error, "pipe failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return finish(error_kind::channel_error, "pipe failed");
  }
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& var : j.env) env.push_back(var.name + "=" + var.value);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/sh", "-c", j.command.c_str(), nullptr};

  // The child waits for one byte on `go` before it runs anything: the
  // command is recorded first (see local_command_records), and if the
  // daemon dies before that, the child sees end of file and exits.
  // A socket pair rather than a pipe, so that the byte can be sent with
  // MSG_NOSIGNAL should the child be gone already.
  int go[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return finish(error_kind::channel_error, "socketpair failed");
  }
  // Signals stay blocked from before the fork until the child has dropped
  // the daemon's handlers: a stop sent to the new process group at once is
  // then neither lost nor handled as if the daemon had received it.
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &before);
  pid_t pid = fork();
  if (pid != 0) pthread_sigmask(SIG_SETMASK, &before, nullptr);
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], go[0], go[1]}) close(fd);
    return finish(error_kind::channel_error, std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Every signal back to its default (ignored ones too, which exec would
    // keep), then unblocked: a pending stop takes effect here.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signo = 1; signo < NSIG; ++signo) sigaction(signo, &default_action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setsid();  // its own session and process group, so a stop reaches everything it started
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    dup2(go[0], 3);
    // Nothing of the daemon lives on in the command or what it leaves
    // running: not the listening socket, client connections, the state
    // lock or the database.
    close_from(4);
    char byte = 0;
    ssize_t n;
    do n = read(3, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) _exit(127);
    close(3);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    if (devnull > 0) close(devnull);
    execve("/bin/sh", const_cast<char**>(argv), envp.data());
    _exit(127);
  }
  close(go[0]);
  auto record = local_command_records::add(pid, j.command);
  if (!record || send(go[1], "g", 1, MSG_NOSIGNAL) != 1) {
    close(go[1]);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    int ignored = 0;
    waitpid(pid, &ignored, 0);
    if (record) local_command_records::remove(*record);
    return finish(error_kind::channel_error,
                  record ? "cannot start the local command" : record.error().message);
  }
  close(go[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);

  output_splitter splitter(j);
  std::vector<output_line> batch;
  auto flush = [&] {
    if (!batch.empty() && sink) sink(std::move(batch));
    batch.clear();
  };

  auto deadline = started + j.timeout;
  int fds_open[2] = {out_pipe[0], err_pipe[0]};
  std::optional<error_kind> stopped;
  while (fds_open[0] >= 0 || fds_open[1] >= 0) {
    pollfd fds[3] = {{fds_open[0], POLLIN, 0}, {fds_open[1], POLLIN, 0}, {cancel.fd(), POLLIN, 0}};
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
      if (fds_open[i] < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[32 * 1024];
      ssize_t n = read(fds_open[i], buffer, sizeof buffer);
      if (n <= 0) {
        close(fds_open[i]);
        fds_open[i] = -1;
      } else {
        splitter.feed(i == 0 ? stream::out : stream::err,
                      std::string_view(buffer, static_cast<size_t>(n)), batch);
      }
    }
    flush();
  }
  for (int fd : fds_open)
    if (fd >= 0) close(fd);
  int status = 0;
  if (stopped) {
    // SIGTERM to the whole group, SIGKILL for what is still there 5 s later.
    kill(-pid, SIGTERM);
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    pollfd exited{pidfd, POLLIN, 0};
    if (pidfd < 0 || poll(&exited, 1, 5000) <= 0) kill(-pid, SIGKILL);
    if (pidfd >= 0) close(pidfd);
  }
  waitpid(pid, &status, 0);
  local_command_records::remove(*record);
  splitter.finish(batch);
  flush();
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
