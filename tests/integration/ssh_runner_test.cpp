// The SSH runner against a real OpenSSH sshd on loopback.
#include "daemon/ssh/runner.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>
#include <regex>

#include "tests/support/process.hpp"
#include "tests/support/process_marker.hpp"
#include "tests/support/sshd.hpp"

namespace bluegreen::ssh {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// Runs a coroutine on `io` to completion, within a deadline.
template <typename T>
T complete(asio::io_context& io, asio::awaitable<T> work, std::chrono::seconds deadline = 120s) {
  std::optional<T> out;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    failure = e;
    out = std::move(value);
  });
  io.restart();
  io.run_for(deadline);
  if (failure) std::rethrow_exception(failure);
  if (!out) throw std::runtime_error("the coroutine did not finish before the deadline");
  return std::move(*out);
}

// A process of `marker` running `command`, as a pidfd: other tests running
// at the same time have their own `sleep`.
std::optional<int> find_process(const testing::process_marker& marker, const std::string& command) {
  for (pid_t pid : marker.processes(command)) {
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) return pidfd;
  }
  return std::nullopt;
}

// True when the process behind `pidfd` exits within the deadline.
bool exits_within(int pidfd, std::chrono::milliseconds deadline) {
  pollfd p{pidfd, POLLIN, 0};
  bool exited = poll(&p, 1, static_cast<int>(deadline.count())) == 1;
  close(pidfd);
  return exited;
}

class SshRunner : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<std::string> addresses;
    for (int i = 2; i <= 17; ++i) addresses.push_back("127.0.0." + std::to_string(i));
    sshd_ = new testing::test_sshd(addresses);
  }
  static void TearDownTestSuite() {
    delete sshd_;
    sshd_ = nullptr;
  }

  options opts() const {
    options o;
    o.known_hosts = sshd_->known_hosts();
    o.identity = sshd_->user_key();
    o.connect_timeout = 5s;
    o.keepalive = 5s;
    return o;
  }
  destination host(int n = 2) const {
    return destination{sshd_->user(), "127.0.0." + std::to_string(n), sshd_->port()};
  }
  job command(std::string text, int n = 2) const {
    job j;
    j.to = host(n);
    j.command = std::move(text);
    j.timeout = 60s;
    return j;
  }

  // Runs one job, collecting its output.
  job_result run(const job& j, std::optional<options> o = std::nullopt,
                 cancel_handle cancel = nullptr) {
    runner r(io_, o.value_or(opts()), 4);
    return complete(io_, r.run(j, [this](std::vector<output_line>&& lines) {
      for (auto& l : lines) lines_.push_back(std::move(l));
    }, cancel));
  }

  std::vector<std::string> texts(stream from) const {
    std::vector<std::string> out;
    for (const auto& l : lines_)
      if (l.from == from) out.push_back(l.text);
    return out;
  }

  static testing::test_sshd* sshd_;
  testing::process_marker marker_;  // for the commands this test leaves to be stopped
  asio::io_context io_;
  std::vector<output_line> lines_;
};

testing::test_sshd* SshRunner::sshd_ = nullptr;

TEST_F(SshRunner, ReportsStdoutStderrAndExitCode) {
  auto r = run(command("echo first; echo oops >&2; printf 'no newline'; exit 3"));
  EXPECT_EQ(r.error, error_kind::none) << r.message;
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(texts(stream::out), (std::vector<std::string>{"first", "no newline"}));
  EXPECT_EQ(texts(stream::err), (std::vector<std::string>{"oops"}));
  for (const auto& l : lines_) EXPECT_EQ(l.host, host().label());
}

TEST_F(SshRunner, DrainsTenMegabytesOnEachStreamWithoutStalling) {
  auto r = run(command(
      "{ head -c 10000000 /dev/zero | tr '\\0' o | fold -w 99; } & "
      "{ head -c 10000000 /dev/zero | tr '\\0' e | fold -w 99 >&2; }; wait"));
  ASSERT_EQ(r.error, error_kind::none) << r.message;
  EXPECT_EQ(r.exit_code, 0);
  size_t out = 0, err = 0;
  for (const auto& l : lines_) (l.from == stream::out ? out : err) += l.text.size();
  EXPECT_EQ(out, 10'000'000u);
  EXPECT_EQ(err, 10'000'000u);
}

TEST_F(SshRunner, ReportsAnExitBySignal) {
  auto r = run(command("kill -KILL $$"));
  EXPECT_EQ(r.error, error_kind::none) << r.message;
  EXPECT_EQ(r.exit_signal, "KILL");
  EXPECT_FALSE(r.exit_code);
  EXPECT_EQ(r.summary(), "killed by SIGKILL");
}

TEST_F(SshRunner, RefusesAnUnknownHostKeyAndSaysHowToAddIt) {
  auto o = opts();
  o.known_hosts = sshd_->dir() / "empty_known_hosts";
  sshd_->dir().write("empty_known_hosts", "");
  auto r = run(command("echo should-not-run"), o);
  EXPECT_EQ(r.error, error_kind::host_key_unknown);
  auto fp = testing::run_command({"/usr/bin/ssh-keygen", "-l", "-E", "sha256", "-f",
                                  (sshd_->dir() / "host_ed25519.pub").string()});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(fp.out, m, std::regex("SHA256:[A-Za-z0-9+/]+")));
  EXPECT_NE(r.message.find(m[0].str()), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("ssh-keyscan -p " + std::to_string(sshd_->port()) +
                           " -t ed25519 127.0.0.2 >> " + o.known_hosts.string()),
            std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find(sshd_->known_hosts_line("127.0.0.2")), std::string::npos) << r.message;
  EXPECT_TRUE(lines_.empty());
}

TEST_F(SshRunner, AcceptsHashedKnownHostsEntries) {
  auto hashed = sshd_->dir() / "hashed_known_hosts";
  sshd_->dir().write("hashed_known_hosts", sshd_->known_hosts_line("127.0.0.2") + "\n");
  auto h = testing::run_command({"/usr/bin/ssh-keygen", "-H", "-f", hashed.string()});
  ASSERT_EQ(h.status, 0) << h.err;
  ASSERT_TRUE(testing::read_file(hashed).starts_with("|1|"));
  auto o = opts();
  o.known_hosts = hashed;
  auto r = run(command("echo hashed-ok"), o);
  EXPECT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(texts(stream::out), std::vector<std::string>{"hashed-ok"});
}

TEST_F(SshRunner, RefusesAWrongUserKey) {
  auto o = opts();
  o.identity = sshd_->stranger_key();
  auto r = run(command("echo should-not-run"), o);
  EXPECT_EQ(r.error, error_kind::auth_failed);
  EXPECT_NE(r.message.find("refused to log in " + sshd_->user()), std::string::npos) << r.message;
}

TEST_F(SshRunner, RefusesAKeyFileOthersCanRead) {
  testing::temp_dir dir;
  auto key = dir / "id_ed25519";
  std::filesystem::copy_file(sshd_->user_key(), key);
  chmod(key.c_str(), 0644);
  auto o = opts();
  o.identity = key;
  auto r = run(command("echo should-not-run"), o);
  EXPECT_EQ(r.error, error_kind::auth_failed);
  EXPECT_NE(r.message.find("chmod 600 " + key.string()), std::string::npos) << r.message;
}

TEST_F(SshRunner, AuthenticatesThroughSshAgent) {
  testing::temp_dir dir;
  auto socket = (dir / "agent.sock").string();
  testing::child_process agent({"/usr/bin/ssh-agent", "-D", "-a", socket});
  // The agent prints its environment once it listens.
  ASSERT_TRUE(agent.wait_for_stdout("SSH_AUTH_SOCK=", 10s)) << agent.stderr_text();
  auto added = testing::run_command({"/usr/bin/ssh-add", sshd_->user_key().string()},
                                    {"SSH_AUTH_SOCK=" + socket});
  ASSERT_EQ(added.status, 0) << added.err;
  auto o = opts();
  o.identity.reset();
  o.use_agent = true;
  setenv("SSH_AUTH_SOCK", socket.c_str(), 1);
  auto r = run(command("echo via-agent"), o);
  unsetenv("SSH_AUTH_SOCK");
  EXPECT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(texts(stream::out), std::vector<std::string>{"via-agent"});
}

TEST_F(SshRunner, ConnectFailsWhenNothingListens) {
  job j = command("true");
  j.to.port = 1;  // nothing listens on port 1
  auto r = run(j);
  EXPECT_EQ(r.error, error_kind::connect_failed);
  EXPECT_NE(r.message.find("Connection refused"), std::string::npos) << r.message;
}

TEST_F(SshRunner, ConnectFailsWithinTheTimeoutWhenTheServerNeverAnswers) {
  // A socket that accepts connections (in the kernel backlog) but never speaks SSH.
  int silent = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  listen(silent, 8);
  socklen_t len = sizeof addr;
  getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len);
  job j = command("true");
  j.to.host = "127.0.0.1";
  j.to.port = ntohs(addr.sin_port);
  auto o = opts();
  o.connect_timeout = 1s;
  auto r = run(j, o);
  close(silent);
  EXPECT_EQ(r.error, error_kind::connect_failed) << r.summary();
  EXPECT_NE(r.message.find("no answer within ssh.connect_timeout"), std::string::npos) << r.message;
  EXPECT_LT(r.elapsed, 30s);  // it gives up instead of waiting forever
}

TEST_F(SshRunner, ATimeoutStopsTheRemoteCommand) {
  job j = command(marker_.assignment() + " sleep 613");
  j.timeout = 1500ms;
  auto r = run(j);
  EXPECT_EQ(r.error, error_kind::timeout);
  EXPECT_NE(r.message.find("did not finish within 1s500ms"), std::string::npos) << r.message;
  if (auto left = find_process(marker_, "sleep 613")) {
    EXPECT_TRUE(exits_within(*left, 10s));
  }
}

TEST_F(SshRunner, CancelStopsARunningCommandPromptly) {
  runner r(io_, opts(), 2);
  auto cancel = make_cancel_handle();
  bool started = false;
  auto result = complete(io_, r.run(command("echo started; " + marker_.assignment() + " sleep 614"),
                                    [&](std::vector<output_line>&& lines) {
                                      for (const auto& l : lines)
                                        if (l.text == "started" && !started) {
                                          started = true;
                                          cancel->cancel();
                                        }
                                    },
                                    cancel));
  EXPECT_TRUE(started);
  EXPECT_EQ(result.error, error_kind::cancelled);
  EXPECT_LT(result.elapsed, 30s);
  if (auto left = find_process(marker_, "sleep 614")) {
    EXPECT_TRUE(exits_within(*left, 10s));
  }
}

TEST_F(SshRunner, RunsOnSixteenHostsAtOnceEachWithItsOwnResult) {
  runner r(io_, opts(), 16);
  std::vector<destination> hosts;
  for (int n = 2; n <= 17; ++n) hosts.push_back(host(n));
  std::map<std::string, std::vector<std::string>> seen;
  auto results = complete(
      io_, r.run_on_all(hosts, command(
                                   "set -- $SSH_CONNECTION; echo \"server $3\"; "
                                   "if [ \"$3\" = 127.0.0.9 ]; then echo broken >&2; exit 7; fi"),
                        [&](std::vector<output_line>&& lines) {
                          // stdout only: a login shell's rc files may add stderr noise.
                          for (auto& l : lines) {
                            if (l.from == stream::out || l.text == "broken")
                              seen[l.host].push_back(l.text);
                          }
                        }));
  ASSERT_EQ(results.size(), 16u);
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& res = results[i];
    std::string address = "127.0.0." + std::to_string(i + 2);
    EXPECT_EQ(res.host.host, address);
    EXPECT_EQ(res.error, error_kind::none) << res.message;
    EXPECT_EQ(res.exit_code, address == "127.0.0.9" ? 7 : 0) << address;
    ASSERT_FALSE(seen[res.host.label()].empty()) << address;
    EXPECT_EQ(seen[res.host.label()][0], "server " + address);
  }
  EXPECT_EQ(seen[host(9).label()].back(), "broken");
}

TEST_F(SshRunner, SecretsNeverAppearInOutputOrOnTheCommandLine) {
  job j = command(
      "echo \"password is $DB_PASSWORD\"; echo \"$DB_PASSWORD\" >&2; "
      "[ \"$DB_PASSWORD\" = 'hunter2 $(id)' ] && echo value-intact; "
      "echo \"user is $DB_USER\"; tr '\\0' ' ' < /proc/$$/cmdline; echo");
  j.env = {{"DB_PASSWORD", "hunter2 $(id)", true}, {"DB_USER", "app", false}};
  auto r = run(j);
  ASSERT_TRUE(r.ok()) << r.summary();
  auto out = texts(stream::out);
  ASSERT_GE(out.size(), 4u);
  EXPECT_EQ(out[0], "password is ***");
  EXPECT_EQ(out[1], "value-intact");
  EXPECT_EQ(out[2], "user is app");
  EXPECT_EQ(out[3].find("hunter2"), std::string::npos) << out[3];
  EXPECT_EQ(texts(stream::err), std::vector<std::string>{"***"});
  for (const auto& l : lines_) EXPECT_EQ(l.text.find("hunter2"), std::string::npos) << l.text;
  EXPECT_EQ(r.message.find("hunter2"), std::string::npos);
}

TEST(RunnerOffload, RunsWorkOffTheIoThreadAndRethrowsItsError) {
  asio::io_context io;
  runner r(io, options{}, 2);
  auto io_thread = std::this_thread::get_id();
  std::thread::id worked_on;
  std::function<void()> work = [&] { worked_on = std::this_thread::get_id(); };
  auto on = [&]() -> asio::awaitable<bool> {
    co_await r.offload(work);
    co_return std::this_thread::get_id() == io_thread;
  };
  EXPECT_TRUE(complete(io, on()));  // resumed on the io_context's thread
  EXPECT_NE(worked_on, std::thread::id{});
  EXPECT_NE(worked_on, io_thread);

  std::function<void()> failing = [] { throw std::runtime_error("disk full"); };
  auto fails = [&]() -> asio::awaitable<bool> {
    co_await r.offload(failing);
    co_return true;
  };
  try {
    complete(io, fails());
    FAIL() << "the error of the work was lost";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "disk full");
  }
}

}  // namespace
}  // namespace bluegreen::ssh
