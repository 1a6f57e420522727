#include "daemon/ssh/local_command_records.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace bluegreen::ssh {

namespace {

std::mutex directory_mutex;
std::filesystem::path directory;  // guarded by directory_mutex

// "-" where /proc/sys is hidden (systemd's ProcSubset=pid); the leader's
// start time still tells a reused PID apart.
std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id.empty() || id.find(' ') != std::string::npos ? "-" : id;
}

struct process_stat {
  char state = '?';
  pid_t session = 0;
  unsigned long long start = 0;  // clock ticks after boot
};

// /proc/PID/stat, or nullopt when the process is gone.
std::optional<process_stat> stat_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  // The command name in parentheses may hold anything; fields follow the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  process_stat s;
  std::string skip;
  fields >> s.state >> skip >> skip >> s.session;  // state ppid pgrp session
  for (int i = 0; i < 15; ++i) fields >> skip;     // tty_nr .. itrealvalue
  fields >> s.start;
  if (!fields) return std::nullopt;
  return s;
}

struct leftover {
  std::filesystem::path record;
  pid_t session = 0;
  unsigned long long start = 0;
  std::string command;
  int processes = 0;
  bool killed = false;
};

// The running processes of the recorded session. A process of the session
// started before its leader cannot belong to it: its PID was reused.
std::vector<pid_t> members_of(const leftover& l) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 ||
        name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == getpid()) continue;
    auto s = stat_of(pid);
    if (!s || s->state == 'Z' || s->session != l.session || s->start < l.start) continue;
    out.push_back(pid);
  }
  return out;
}

// Reads a record; nullopt for one that is stale (another boot, the leader's
// PID taken by another process) or unreadable.
std::optional<leftover> read_record(const std::filesystem::path& record,
                                    const std::string& this_boot) {
  const std::string name = record.filename().string();
  if (name.empty() || name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  std::ifstream in(record);
  std::string boot;
  leftover l;
  l.record = record;
  l.session = static_cast<pid_t>(std::stol(name));
  if (!(in >> boot >> l.start)) return std::nullopt;
  if (boot != this_boot && boot != "-" && this_boot != "-") return std::nullopt;  // rebooted since
  in.ignore(1);
  std::getline(in, l.command);
  auto leader = stat_of(l.session);
  // The leader's PID now names another process, so the session ended long ago.
  if (leader && leader->start != l.start) return std::nullopt;
  return l;
}

daemon::failure unavailable(std::string message) {
  return daemon::failure{daemon::failure::kind::internal, "records_unavailable",
                         std::move(message)};
}

void wait_until_gone(std::vector<leftover>& sessions, std::chrono::milliseconds bound) {
  auto end = std::chrono::steady_clock::now() + bound;
  for (;;) {
    bool any = false;
    for (const auto& l : sessions)
      if (!members_of(l).empty()) any = true;
    if (!any || std::chrono::steady_clock::now() >= end) return;
    poll(nullptr, 0, 20);  // between two looks at /proc
  }
}

}  // namespace

daemon::result<void> local_command_records::use_directory(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return unavailable("cannot create " + dir.string() + ": " + std::strerror(errno));
  std::lock_guard lock(directory_mutex);
  directory = dir;
  return {};
}

daemon::result<std::filesystem::path> local_command_records::add(pid_t pid,
                                                                 const std::string& command) {
  std::filesystem::path dir;
  {
    std::lock_guard lock(directory_mutex);
    dir = directory;
  }
  if (dir.empty()) return std::filesystem::path();
  auto s = stat_of(pid);
  if (!s) return unavailable("cannot read /proc/" + std::to_string(pid) + "/stat");
  std::string one_line = command.substr(0, 300);
  for (char& c : one_line)
    if (c == '\n' || c == '\r') c = ' ';
  std::string text = boot_id() + " " + std::to_string(s->start) + "\n" + one_line + "\n";
  auto record = dir / std::to_string(pid);
  auto fresh = dir / (std::to_string(pid) + ".new");
  int fd = ::open(fresh.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  bool written =
      fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int err = errno;
  if (fd >= 0) ::close(fd);
  if (!written || ::rename(fresh.c_str(), record.c_str()) != 0) {
    if (written) err = errno;
    ::unlink(fresh.c_str());
    return unavailable("cannot record the local command in " + dir.string() + ": " +
                       std::strerror(err));
  }
  return record;
}

void local_command_records::remove(const std::filesystem::path& record) {
  if (!record.empty()) ::unlink(record.c_str());
}

std::vector<local_command_records::ended> local_command_records::end_leftovers(
    std::chrono::milliseconds grace) {
  std::filesystem::path dir;
  {
    std::lock_guard lock(directory_mutex);
    dir = directory;
  }
  std::vector<ended> out;
  if (dir.empty()) return out;
  const std::string this_boot = boot_id();
  std::vector<leftover> sessions;
  std::vector<std::filesystem::path> records;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    records.push_back(entry.path());
  for (const auto& record : records) {
    auto l = read_record(record, this_boot);
    if (!l) continue;
    auto members = members_of(*l);
    l->processes = static_cast<int>(members.size());
    for (pid_t pid : members) kill(pid, SIGTERM);
    if (!members.empty()) sessions.push_back(std::move(*l));
  }
  wait_until_gone(sessions, grace);
  for (auto& l : sessions) {
    auto members = members_of(l);
    for (pid_t pid : members) kill(pid, SIGKILL);
    l.killed = !members.empty();
  }
  // SIGKILL cannot be ignored; the bound only guards against a process
  // stuck in the kernel.
  wait_until_gone(sessions, std::chrono::seconds(5));
  for (const auto& l : sessions) out.push_back({l.session, l.command, l.processes, l.killed});
  for (const auto& record : records) ::unlink(record.c_str());
  return out;
}

}  // namespace bluegreen::ssh
