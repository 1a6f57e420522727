#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

extern char** environ;

namespace bluegreen::testing {

namespace {
using clock = std::chrono::steady_clock;
}

child_process::child_process(const std::vector<std::string>& argv,
                             const std::vector<std::string>& extra_env) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
      pipe2(stop_pipe_, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  for (const auto& e : extra_env) env.push_back(e);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  // A pidfd becomes readable when the child exits: waiting for exit is a poll.
  pid_fd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  reader_ = std::thread([this] { read_loop(); });
}

child_process::~child_process() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int st;
    waitpid(pid_, &st, 0);
  }
  stop_reader();
  for (int fd : {out_fd_, err_fd_, pid_fd_, stop_pipe_[0], stop_pipe_[1]})
    if (fd >= 0) close(fd);
}

void child_process::stop_reader() {
  if (!reader_.joinable()) return;
  char one = 1;
  [[maybe_unused]] auto n = write(stop_pipe_[1], &one, 1);
  reader_.join();
}

void child_process::read_loop() {
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd fds[3] = {{out_open ? out_fd_ : -1, POLLIN, 0},
                     {err_open ? err_fd_ : -1, POLLIN, 0},
                     {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) continue;
    if (fds[2].revents) break;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[16384];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? out_ : err_).append(buf, static_cast<size_t>(n));
      }
    }
    changed_.notify_all();
  }
  std::lock_guard lock(mutex_);
  pipes_closed_ = true;
  changed_.notify_all();
}

void child_process::signal(int signo) { ::kill(pid_, signo); }

std::string child_process::stderr_text() const {
  std::lock_guard lock(mutex_);
  return err_;
}

std::string child_process::stdout_text() const {
  std::lock_guard lock(mutex_);
  return out_;
}

std::optional<std::string> child_process::wait_for(const std::string& text, size_t& scanned,
                                                   const std::string& needle,
                                                   std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  std::optional<std::string> line;
  changed_.wait_for(lock, deadline, [&] {
    size_t found = text.find(needle, scanned);
    if (found == std::string::npos) return pipes_closed_;
    size_t line_end = text.find('\n', found);
    if (line_end == std::string::npos) return pipes_closed_;
    size_t line_start = text.rfind('\n', found);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    line = text.substr(line_start, line_end - line_start);
    scanned = line_end;
    return true;
  });
  return line;
}

std::optional<std::string> child_process::wait_for_stderr(const std::string& needle,
                                                          std::chrono::milliseconds deadline) {
  return wait_for(err_, err_scanned_, needle, deadline);
}

std::optional<std::string> child_process::wait_for_stdout(const std::string& needle,
                                                          std::chrono::milliseconds deadline) {
  return wait_for(out_, out_scanned_, needle, deadline);
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds deadline) {
  if (status_) return status_;
  pollfd p{pid_fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(deadline.count())) <= 0) return std::nullopt;
  int st = 0;
  if (waitpid(pid_, &st, 0) != pid_) return std::nullopt;
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  // Give the reader what is left in the pipes (bounded: a grandchild may
  // still hold them open).
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, std::chrono::seconds(2), [&] { return pipes_closed_; });
  return status_;
}

std::string proc_file(const std::string& pid, const char* file) {
  int fd = open(("/proc/" + pid + "/" + file).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(fd);
  return text;
}

std::string command_line_of(const std::string& pid) {
  std::string text = proc_file(pid, "cmdline");
  for (auto& c : text)
    if (c == '\0') c = ' ';
  return text;
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
