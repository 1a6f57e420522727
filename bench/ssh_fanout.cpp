// Fan-out benchmark: `sleep 1; echo ok` on 16 hosts (127.0.0.2-17, one real
// sshd), through the runner, through a sequential OpenSSH `ssh` loop and
// through `parallel-ssh -p 16`. Prints the median wall time of each.
//
//   build/release/bench/ssh_fanout [runs]
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <vector>

#include "daemon/ssh/runner.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sshd.hpp"

namespace {

using namespace bluegreen;
using clock_type = std::chrono::steady_clock;

const char* kCommand = "sleep 1; echo ok";

double seconds_of(const std::function<bool()>& run) {
  auto start = clock_type::now();
  if (!run()) throw std::runtime_error("a run failed");
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) try {
  int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  std::vector<std::string> addresses;
  for (int i = 2; i <= 17; ++i) addresses.push_back("127.0.0." + std::to_string(i));
  // As root, log in as a plain user whose shell reads no start-up files, so
  // the figures measure the tools rather than a login shell's rc files.
  std::string login_user;
  if (geteuid() == 0) {
    login_user = "bluegreen-bench";
    if (!getpwnam(login_user.c_str()))
      // Password "*": no password login, but not a locked account (sshd
      // refuses locked accounts even for keys).
      testing::run_command({"/usr/sbin/useradd", "--system", "--no-create-home", "--home-dir",
                            "/nonexistent", "--shell", "/bin/sh", "--password", "*", login_user});
  }
  testing::test_sshd sshd(addresses, login_user);
  std::string port = std::to_string(sshd.port());
  std::vector<std::string> ssh_options = {
      "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=" + sshd.known_hosts().string(),
      "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
      "-i", sshd.user_key().string(), "-p", port};

  // Through the runner.
  boost::asio::io_context io;
  ssh::options opts;
  opts.known_hosts = sshd.known_hosts();
  opts.identity = sshd.user_key();
  ssh::runner runner(io, opts, 16);
  std::vector<ssh::destination> hosts;
  for (const auto& a : addresses) hosts.push_back({sshd.user(), a, sshd.port()});
  auto run_runner = [&] {
    bool all_ok = false;
    ssh::job j;
    j.command = kCommand;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          auto results = co_await runner.run_on_all(hosts, j, nullptr);
          all_ok = std::all_of(results.begin(), results.end(),
                               [](const ssh::job_result& r) { return r.ok(); });
          if (!all_ok) std::fprintf(stderr, "runner: %s\n", results[0].summary().c_str());
        },
        boost::asio::detached);
    io.restart();
    io.run();
    return all_ok;
  };

  auto run_sequential = [&] {
    for (const auto& a : addresses) {
      std::vector<std::string> argv = {"/usr/bin/ssh"};
      argv.insert(argv.end(), ssh_options.begin(), ssh_options.end());
      argv.push_back(sshd.user() + "@" + a);
      argv.push_back(kCommand);
      auto r = testing::run_command(argv);
      if (r.status != 0) {
        std::fprintf(stderr, "ssh: %s\n", r.err.c_str());
        return false;
      }
    }
    return true;
  };

  std::string hosts_file = (sshd.dir() / "pssh_hosts").string();
  {
    std::string text;
    for (const auto& a : addresses) text += sshd.user() + "@" + a + ":" + port + "\n";
    sshd.dir().write("pssh_hosts", text);
  }
  auto run_pssh = [&] {
    std::vector<std::string> argv = {"/usr/bin/parallel-ssh", "-p", "16", "-h", hosts_file,
                                     "-t", "60"};
    for (size_t i = 0; i + 1 < ssh_options.size(); i += 2) {
      if (ssh_options[i] == "-p") continue;  // the port is in the hosts file
      argv.push_back("-x");
      argv.push_back(ssh_options[i] + " " + ssh_options[i + 1]);
    }
    argv.push_back(kCommand);
    auto r = testing::run_command(argv);
    if (r.status != 0) std::fprintf(stderr, "%s%s", r.out.c_str(), r.err.c_str());
    return r.status == 0;
  };

  std::vector<double> runner_times, sequential_times, pssh_times;
  for (int i = 0; i < runs; ++i) {
    runner_times.push_back(seconds_of(run_runner));
    pssh_times.push_back(seconds_of(run_pssh));
    if (i < 3) sequential_times.push_back(seconds_of(run_sequential));
  }
  std::printf("fan-out of \"%s\" to 16 hosts as %s, median wall time:\n", kCommand,
              sshd.user().c_str());
  std::printf("  bluegreend runner (16 workers)  %6.2f s  (%d runs)\n", median(runner_times), runs);
  std::printf("  parallel-ssh -p 16              %6.2f s  (%d runs)\n", median(pssh_times), runs);
  std::printf("  sequential ssh loop             %6.2f s  (%zu runs)\n", median(sequential_times),
              sequential_times.size());
  return 0;
} catch (const std::exception& e) {
  // Returning (not exiting) lets the test sshd's destructor stop it.
  std::fprintf(stderr, "ssh_fanout: %s\n", e.what());
  return 1;
}
