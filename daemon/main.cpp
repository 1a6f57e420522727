// bluegreend: the blue/green deployment daemon and its administrative
// commands (check-config, token).
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "daemon/cli.hpp"
#include "daemon/config.hpp"
#include "daemon/service.hpp"
#include "daemon/token_service.hpp"
#include "storage/database.hpp"
#include "storage/error.hpp"

namespace {

using namespace bluegreen::daemon;

// The person running an administrative command, for the audit log.
std::string os_user() {
  if (const passwd* pw = getpwuid(getuid())) return pw->pw_name;
  return "uid " + std::to_string(getuid());
}

std::shared_ptr<const config> load_or_report(const command_line& cl) {
  auto loaded = load_config(cl.config_path);
  for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
  return loaded.value;
}

std::unique_ptr<bluegreen::storage::database> open_state(const config& cfg) {
  std::error_code ec;
  bool fresh = !std::filesystem::exists(cfg.server.state_dir, ec);
  std::filesystem::create_directories(cfg.server.state_dir, ec);
  if (fresh && !ec)
    std::filesystem::permissions(cfg.server.state_dir, std::filesystem::perms::owner_all, ec);
  std::string error;
  auto db = bluegreen::storage::database::open(cfg.server.state_dir / "state.db", {}, error);
  if (!db) std::cerr << error << "\n";
  return db;
}

int token_command(const command_line& cl) {
  auto cfg = load_or_report(cl);
  if (!cfg) return exit_failure;
  auto db = open_state(*cfg);
  if (!db) return exit_startup;
  token_service tokens(*db);
  switch (cl.cmd) {
    case command_line::command::token_create: {
      auto secret = tokens.create(cl.token_name, cl.token_scope, os_user());
      if (!secret) {
        std::cerr << secret.error().message << "\n";
        return exit_failure;
      }
      std::cout << *secret << "\n";
      std::cerr << "token \"" << cl.token_name << "\" created with scope "
                << to_string(cl.token_scope)
                << "; the secret above is shown only now, keep it safe\n";
      return exit_ok;
    }
    case command_line::command::token_list: {
      std::printf("%-24s %-7s %-26s %-26s %s\n", "NAME", "SCOPE", "CREATED", "LAST USED",
                  "REVOKED");
      for (const auto& t : tokens.list()) {
        std::printf("%-24s %-7s %-26s %-26s %s\n", t.name.c_str(),
                    std::string(to_string(t.granted)).c_str(), t.created_at.c_str(),
                    t.last_used_at.value_or("-").c_str(), t.revoked_at.value_or("-").c_str());
      }
      return exit_ok;
    }
    default:
      if (!tokens.revoke(cl.token_name, os_user())) {
        std::cerr << "no active token named \"" << cl.token_name << "\"\n";
        return exit_failure;
      }
      std::cerr << "token \"" << cl.token_name << "\" revoked\n";
      return exit_ok;
  }
}

// Every connection, SSH session and pipe is a descriptor, and the usual
// soft limit (1024) is far below what the hard limit allows; the server fits
// its connection cap to what this leaves. At most 65536: commands the daemon
// starts inherit the limit, and some programs close every possible
// descriptor one by one (a hard limit of 2^30 is common in containers).
void raise_descriptor_limit() {
  constexpr rlim_t kEnough = 65536;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  rlim_t wanted = std::min(limit.rlim_max, kEnough);
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = wanted;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cl = parse_command_line(args);
  if (!cl) {
    std::cerr << "bluegreend: " << cl.error().message << "\n\n" << usage_text();
    return exit_usage;
  }
  switch (cl->cmd) {
    case command_line::command::help:
      std::cout << usage_text();
      return exit_ok;
    case command_line::command::version:
      std::cout << "bluegreend " << BLUEGREEN_VERSION << "\n";
      return exit_ok;
    case command_line::command::check_config:
      if (!load_or_report(*cl)) return exit_failure;
      std::cout << "ok\n";
      return exit_ok;
    case command_line::command::run:
      raise_descriptor_limit();
      return run_service(*cl);
    default:
      // What SQLite cannot recover from (a full disk, the write lock held
      // past the busy timeout) is this command's failure, not a crash.
      try {
        return token_command(*cl);
      } catch (const bluegreen::storage::error& e) {
        std::cerr << "bluegreend: the state database failed: " << e.what() << "\n";
        return exit_failure;
      }
  }
}
