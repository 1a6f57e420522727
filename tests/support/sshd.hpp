// A real OpenSSH sshd for tests, started on loopback addresses with an
// ephemeral port, its own host key, an authorised ed25519 user key for the
// current user, and a known_hosts file that lists it. Works as root and as
// an unprivileged user (who can then only log in as themselves).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::testing {

class test_sshd {
 public:
  // Listens on every address (e.g. 127.0.0.2 ... 127.0.0.17) on one port.
  // `login_user` (default: the current user) is who the user key logs in
  // as; another user needs sshd to run as root.
  // `extra_config` goes at the end of sshd_config (Match blocks, say).
  explicit test_sshd(std::vector<std::string> addresses = {"127.0.0.1"},
                     std::string login_user = "", std::string extra_config = "");
  ~test_sshd();

  std::uint16_t port() const { return port_; }
  const std::vector<std::string>& addresses() const { return addresses_; }
  std::string user() const;
  // The private key sshd accepts for user().
  std::filesystem::path user_key() const { return dir_ / "user_ed25519"; }
  // A valid key that sshd does not accept.
  std::filesystem::path stranger_key() const { return dir_ / "stranger_ed25519"; }
  // known_hosts with this server's key for every address.
  std::filesystem::path known_hosts() const { return dir_ / "known_hosts"; }
  // A known_hosts line for `address` as `ssh-keyscan` writes it.
  std::string known_hosts_line(const std::string& address) const;
  const temp_dir& dir() const { return dir_; }

  // Restarts the server with a new host key on the same port (what a
  // reinstalled or impersonated server looks like).
  void change_host_key();

 private:
  void start();

  temp_dir dir_;
  std::vector<std::string> addresses_;
  std::string login_user_;
  std::string extra_config_;
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

// Runs ssh-keygen to make an ed25519 key pair at `path` (and path.pub).
void make_key(const std::filesystem::path& path);

}  // namespace bluegreen::testing
