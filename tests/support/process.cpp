#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

extern char** environ;

namespace bluegreen::testing {

namespace {
using clock = std::chrono::steady_clock;
}

child_process::child_process(const std::vector<std::string>& argv,
                             const std::vector<std::string>& extra_env) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& e : extra_env) env.push_back(e);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  // A pidfd becomes readable when the child exits, so waiting for exit is a
  // poll like waiting for output.
  pid_fd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
}

child_process::~child_process() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int st;
    waitpid(pid_, &st, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
  if (pid_fd_ >= 0) close(pid_fd_);
}

void child_process::signal(int signo) { ::kill(pid_, signo); }

void child_process::drain(int timeout_ms, bool watch_exit) {
  pollfd fds[3] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}, {watch_exit ? pid_fd_ : -1, POLLIN, 0}};
  int nfds = 0;
  pollfd active[3];
  for (auto& f : fds)
    if (f.fd >= 0) active[nfds++] = f;
  if (poll(active, static_cast<nfds_t>(nfds), timeout_ms) <= 0) return;
  for (int i = 0; i < nfds; ++i) {
    if (active[i].fd == pid_fd_) continue;
    if (!(active[i].revents & (POLLIN | POLLHUP))) continue;
    char buf[8192];
    ssize_t n = read(active[i].fd, buf, sizeof buf);
    bool is_out = active[i].fd == out_fd_;
    if (n <= 0) {
      close(active[i].fd);
      (is_out ? out_fd_ : err_fd_) = -1;
    } else {
      (is_out ? out_ : err_).append(buf, static_cast<size_t>(n));
    }
  }
}

std::optional<std::string> child_process::wait_for_stderr(const std::string& needle,
                                                          std::chrono::milliseconds deadline) {
  auto end = clock::now() + deadline;
  for (;;) {
    size_t found = err_.find(needle, err_scanned_);
    if (found != std::string::npos) {
      size_t line_start = err_.rfind('\n', found);
      line_start = line_start == std::string::npos ? 0 : line_start + 1;
      size_t line_end = err_.find('\n', found);
      if (line_end != std::string::npos) {
        err_scanned_ = line_end;
        return err_.substr(line_start, line_end - line_start);
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - clock::now()).count();
    if (left <= 0 || (err_fd_ < 0 && out_fd_ < 0)) return std::nullopt;
    drain(static_cast<int>(std::min<long>(left, 100)));
  }
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds deadline) {
  if (status_) return status_;
  auto end = clock::now() + deadline;
  for (;;) {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      // Collect what is left in the pipes (bounded: a grandchild may hold them).
      auto drain_end = clock::now() + std::chrono::seconds(2);
      while ((out_fd_ >= 0 || err_fd_ >= 0) && clock::now() < drain_end) drain(100, false);
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    if (clock::now() >= end) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - clock::now()).count();
    drain(static_cast<int>(std::max<long>(1, left)));
  }
}

run_result run_command(const std::vector<std::string>& argv,
                       const std::vector<std::string>& extra_env) {
  child_process child(argv, extra_env);
  run_result result;
  auto status = child.wait_exit(std::chrono::seconds(60));
  result.status = status.value_or(-1);
  result.out = child.stdout_text();
  result.err = child.stderr_text();
  return result;
}

}  // namespace bluegreen::testing
