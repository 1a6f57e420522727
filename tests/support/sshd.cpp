#include "tests/support/sshd.hpp"

#include "tests/support/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

namespace bluegreen::testing {

namespace {

std::string first_line(const std::filesystem::path& p) {
  std::string text = read_file(p);
  return text.substr(0, text.find('\n'));
}

}  // namespace

void make_key(const std::filesystem::path& path) {
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + ".pub");
  auto r = run_command({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test",
                        "-f", path.string()});
  if (r.status != 0) throw std::runtime_error("ssh-keygen failed: " + r.err);
}

test_sshd::test_sshd(std::vector<std::string> addresses, std::string login_user,
                     std::string extra_config)
    : addresses_(std::move(addresses)),
      login_user_(std::move(login_user)),
      extra_config_(std::move(extra_config)) {
  if (geteuid() == 0) std::filesystem::create_directories("/run/sshd");
  make_key(dir_ / "host_ed25519");
  make_key(dir_ / "user_ed25519");
  make_key(dir_ / "stranger_ed25519");
  dir_.write("authorized_keys", read_file(dir_ / "user_ed25519.pub"));
  chmod((dir_ / "authorized_keys").c_str(), 0600);
  if (!login_user_.empty()) {
    // sshd reads authorized_keys as the user who logs in.
    chmod(dir_.path().c_str(), 0711);
    chmod((dir_ / "authorized_keys").c_str(), 0644);
  }
  start();
}

test_sshd::~test_sshd() = default;

std::string test_sshd::user() const {
  if (!login_user_.empty()) return login_user_;
  const passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : "root";
}

std::string test_sshd::known_hosts_line(const std::string& address) const {
  std::string key = first_line(dir_ / "host_ed25519.pub");
  key = key.substr(0, key.rfind(' '));  // drop the comment
  return "[" + address + "]:" + std::to_string(port_) + " " + key;
}

void test_sshd::start() {
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = free_port(addresses_);
    std::string config;
    for (const auto& a : addresses_) config += "ListenAddress " + a + ":" + std::to_string(port_) + "\n";
    config += "HostKey " + (dir_ / "host_ed25519").string() + "\n";
    config += "AuthorizedKeysFile " + (dir_ / "authorized_keys").string() + "\n";
    config +=
        "PidFile none\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nMaxStartups 200\nMaxSessions 64\n"
        "LogLevel INFO\nPrintMotd no\n";
    config += extra_config_;
    dir_.write("sshd_config", config);
    std::string known;
    for (const auto& a : addresses_) known += known_hosts_line(a) + "\n";
    dir_.write("known_hosts", known);

    process_ = std::make_unique<child_process>(std::vector<std::string>{
        "/usr/sbin/sshd", "-D", "-e", "-f", (dir_ / "sshd_config").string()});
    size_t listening = 0;
    while (listening < addresses_.size() &&
           process_->wait_for_stderr("Server listening on", std::chrono::seconds(10)))
      ++listening;
    if (listening == addresses_.size()) return;
    process_.reset();  // port taken in the meantime: try another
  }
  throw std::runtime_error("sshd did not start");
}

void test_sshd::change_host_key() {
  process_.reset();
  make_key(dir_ / "host_ed25519");
  auto known = read_file(dir_ / "known_hosts");  // keep the old entries
  start();
  dir_.write("known_hosts", known);
}

}  // namespace bluegreen::testing
