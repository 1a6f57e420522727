// The bluegreend binary as an operator runs it: commands, exit codes,
// signals, and its conversation with systemd.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>

#include "storage/database.hpp"
#include "storage/transaction.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::child_process;
using bluegreen::testing::http_request;
using bluegreen::testing::run_command;
using bluegreen::testing::temp_dir;
using nlohmann::json;

const std::string kBinary = BLUEGREEN_BINARY;

// The example configuration, with state in `dir` and an ephemeral port.
std::string example_config(const temp_dir& dir) {
  std::string text = bluegreen::testing::read_file(BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml");
  text = std::regex_replace(text, std::regex("listen = \"127.0.0.1:8765\""),
                            "listen = \"127.0.0.1:0\"");
  text = std::regex_replace(text, std::regex("state_dir = \"/var/lib/bluegreen\""),
                            "state_dir = \"" + (dir / "state").string() + "\"");
  return text;
}

std::string second_app() {
  return R"(
[[app]]
name = "api"
public_url = "https://api.example.com"
  [app.blue]
  hosts = ["deploy@10.0.1.2"]
  url = "http://10.0.1.2:8000"
  [app.green]
  hosts = ["deploy@10.0.1.3"]
  url = "http://10.0.1.3:8000"
  [app.deploy]
  steps = ["true"]
  resolve = "git rev-parse {ref}"
  [app.traffic]
  backend = "command"
  switch_command = "/usr/local/bin/route {colour}"
  current_command = "/usr/local/bin/route --show"
)";
}

std::uint16_t port_from(const std::string& line) {
  std::smatch m;
  if (!std::regex_search(line, m, std::regex("http://127\\.0\\.0\\.1:([0-9]+)"))) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

std::string create_token(const std::filesystem::path& config, const std::string& name,
                         const std::string& scope) {
  auto r = run_command({kBinary, "token", "create", name, "--scope", scope, "--config", config});
  EXPECT_EQ(r.status, 0) << r.err;
  std::string secret = r.out;
  while (!secret.empty() && secret.back() == '\n') secret.pop_back();
  return secret;
}

std::vector<std::string> app_names(std::uint16_t port, const std::string& token) {
  auto r = http_request(port, "GET", "/api/v1/apps", token);
  std::vector<std::string> names;
  if (!r || r->status != 200) {
    ADD_FAILURE() << "GET /api/v1/apps: " << (r ? std::to_string(r->status) + " " + r->body : "no reply");
    return names;
  }
  json body = json::parse(r->body);
  for (const auto& app : body["apps"]) names.push_back(app["name"]);
  return names;
}

TEST(DaemonProcess, HelpVersionAndBadUsage) {
  auto help = run_command({kBinary, "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("Usage:"), std::string::npos);
  auto version = run_command({kBinary, "--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.out, "bluegreend " BLUEGREEN_VERSION "\n");
  auto bad = run_command({kBinary, "--frobnicate"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("unknown option --frobnicate"), std::string::npos);
}

TEST(DaemonProcess, CheckConfigSaysOkOrListsTheErrors) {
  auto ok = run_command({kBinary, "check-config", "--config", BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml"});
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.out, "ok\n");
  temp_dir dir;
  auto bad = dir.write("bad.toml", "[server]\nlisten = \"127.0.0.1:8765\"\nstate_dir = 5\n");
  auto r = run_command({kBinary, "check-config", "--config", bad});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, bad.string() + ":3:13: server.state_dir: expected an absolute path, got an integer\n");
}

TEST(DaemonProcess, TokensAreShownOnceListedAndRevoked) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  std::string secret = create_token(config, "laptop", "deploy");
  EXPECT_TRUE(secret.starts_with("bgt_"));
  auto dup = run_command({kBinary, "token", "create", "laptop", "--scope", "read", "--config", config});
  EXPECT_EQ(dup.status, 1);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos);
  auto list = run_command({kBinary, "token", "list", "--config", config});
  EXPECT_EQ(list.status, 0);
  EXPECT_NE(list.out.find("laptop"), std::string::npos);
  EXPECT_NE(list.out.find("deploy"), std::string::npos);
  EXPECT_EQ(list.out.find(secret), std::string::npos);
  auto revoke = run_command({kBinary, "token", "revoke", "laptop", "--config", config});
  EXPECT_EQ(revoke.status, 0) << revoke.err;
  EXPECT_EQ(run_command({kBinary, "token", "revoke", "laptop", "--config", config}).status, 1);
}

// A state database that fails under a token command (here: another
// connection holds the write lock past the busy timeout) is reported as the
// command's failure, not a crash.
TEST(DaemonProcess, ATokenCommandWhoseDatabaseFailsSaysSoAndExitsOne) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  create_token(config, "laptop", "deploy");
  std::string error;
  auto db = bluegreen::storage::database::open(dir / "state" / "state.db", {}, error);
  ASSERT_TRUE(db) << error;
  bluegreen::storage::transaction writer(*db);
  auto r = run_command({kBinary, "token", "create", "ci", "--scope", "read", "--config", config});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(r.err.starts_with("bluegreend: the state database failed: ")) << r.err;
  EXPECT_NE(r.err.find("locked"), std::string::npos) << r.err;
}

// The daemon verifies tokens from memory, yet an operator's token commands
// (another process writing the same state.db) count from the next request.
TEST(DaemonProcess, TokensCreatedOrRevokedWhileItRunsCountAtOnce) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  std::string first = create_token(config, "ops", "read");
  child_process daemon({kBinary, "--config", config});
  auto line = daemon.wait_for_stderr("listening on", 20s);
  ASSERT_TRUE(line) << daemon.stderr_text();
  std::uint16_t port = port_from(*line);
  ASSERT_EQ(app_names(port, first), std::vector<std::string>{"keepthescore"});

  std::string created = create_token(config, "laptop", "read");
  ASSERT_EQ(app_names(port, created), std::vector<std::string>{"keepthescore"});

  auto revoke = run_command({kBinary, "token", "revoke", "laptop", "--config", config});
  ASSERT_EQ(revoke.status, 0) << revoke.err;
  auto refused = http_request(port, "GET", "/api/v1/apps", created);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401) << refused->body;
  EXPECT_EQ(json::parse(refused->body)["error"]["code"], "unauthorized");
  EXPECT_EQ(app_names(port, first), std::vector<std::string>{"keepthescore"});

  daemon.signal(SIGTERM);
  ASSERT_TRUE(daemon.wait_exit(30s));
}

// The dashboard stays signed in across a restart of the daemon (its live
// log reconnects by itself), a token revoked by the command ends its
// sessions at once, and neither the token nor the cookie is ever logged.
TEST(DaemonProcess, ADashboardSessionSurvivesARestartAndEndsWithItsToken) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  std::string token = create_token(config, "alice", "deploy");
  std::string logs;
  std::string cookie;
  {
    child_process daemon({kBinary, "--config", config});
    auto line = daemon.wait_for_stderr("listening on", 20s);
    ASSERT_TRUE(line) << daemon.stderr_text();
    std::uint16_t port = port_from(*line);
    auto signed_in = http_request(port, "POST", "/api/v1/session", "",
                                  json({{"token", token}}).dump(), "Origin: http://127.0.0.1\r\n");
    ASSERT_TRUE(signed_in);
    ASSERT_EQ(signed_in->status, 200) << signed_in->body;
    std::smatch m;
    std::string set_cookie = signed_in->headers["set-cookie"];
    ASSERT_TRUE(std::regex_search(set_cookie, m, std::regex("^bluegreen_session=([^;]+);")));
    cookie = m[1].str();
    ASSERT_EQ(http_request(port, "GET", "/api/v1/session", "", "",
                           "Cookie: bluegreen_session=" + cookie + "\r\n")
                  ->status,
              200);
    daemon.signal(SIGTERM);
    ASSERT_TRUE(daemon.wait_exit(30s));
    logs += daemon.stderr_text();
  }
  child_process daemon({kBinary, "--config", config});
  auto line = daemon.wait_for_stderr("listening on", 20s);
  ASSERT_TRUE(line) << daemon.stderr_text();
  std::uint16_t port = port_from(*line);
  std::string header = "Cookie: bluegreen_session=" + cookie + "\r\n";
  auto who = http_request(port, "GET", "/api/v1/session", "", "", header);
  ASSERT_TRUE(who);
  ASSERT_EQ(who->status, 200) << who->body;
  EXPECT_EQ(json::parse(who->body)["session"]["name"], "alice");
  auto lock =
      http_request(port, "POST", "/api/v1/apps/keepthescore/lock", "",
                   R"({"reason":"after the restart"})", header + "Origin: http://127.0.0.1\r\n");
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->status, 201) << lock->body;

  auto revoke = run_command({kBinary, "token", "revoke", "alice", "--config", config});
  ASSERT_EQ(revoke.status, 0) << revoke.err;
  auto ended = http_request(port, "GET", "/api/v1/apps", "", "", header);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->status, 401) << ended->body;

  daemon.signal(SIGTERM);
  ASSERT_TRUE(daemon.wait_exit(30s));
  logs += daemon.stderr_text();
  EXPECT_NE(logs.find("dashboard sign-in with token alice"), std::string::npos) << logs;
  EXPECT_EQ(logs.find(token), std::string::npos);
  EXPECT_EQ(logs.find(cookie), std::string::npos);
}

TEST(DaemonProcess, ServesReloadsOnSighupAndStopsOnSigterm) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  std::string token = create_token(config, "ops", "read");

  child_process daemon({kBinary, "run", "--config", config});
  auto line = daemon.wait_for_stderr("listening on", 20s);
  ASSERT_TRUE(line) << daemon.stderr_text();
  std::uint16_t port = port_from(*line);
  ASSERT_NE(port, 0);
  EXPECT_EQ(app_names(port, token), std::vector<std::string>{"keepthescore"});

  // A valid new config is taken.
  dir.write("bluegreen.toml", example_config(dir) + second_app());
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_for_stderr("configuration reloaded", 20s)) << daemon.stderr_text();
  EXPECT_EQ(app_names(port, token), (std::vector<std::string>{"keepthescore", "api"}));

  // An invalid one is rejected, with the reason, and the running one stays.
  dir.write("bluegreen.toml", example_config(dir) + "\n[[app]]\nname = \"broken\"\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(daemon.wait_for_stderr("reload rejected", 20s)) << daemon.stderr_text();
  EXPECT_NE(daemon.stderr_text().find("app[1].public_url: required key is missing"),
            std::string::npos);
  EXPECT_EQ(app_names(port, token), (std::vector<std::string>{"keepthescore", "api"}));

  // The reload is in the audit log.
  auto events = http_request(port, "GET", "/api/v1/events", token);
  EXPECT_NE(events->body.find("config.reload"), std::string::npos);

  // With nothing running it stops at once, long before stop_timeout (60 s)
  // would be up.
  daemon.signal(SIGTERM);
  auto status = daemon.wait_exit(30s);
  ASSERT_TRUE(status) << "still running 30 s after SIGTERM";
  EXPECT_EQ(*status, 0) << daemon.stderr_text();
}

TEST(DaemonProcess, StopsPromptlyWithAnIdleKeepAliveClient) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  child_process daemon({kBinary, "--config", config});
  auto line = daemon.wait_for_stderr("listening on", 20s);
  ASSERT_TRUE(line) << daemon.stderr_text();
  bluegreen::testing::http_connection idle("127.0.0.1", port_from(*line));
  idle.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(idle.read_reply());
  daemon.signal(SIGINT);
  // Waiting for the idle client would take server.read_timeout (30 s).
  auto status = daemon.wait_exit(20s);
  ASSERT_TRUE(status) << "still running 20 s after SIGINT";
  EXPECT_EQ(*status, 0);
  EXPECT_TRUE(idle.wait_closed(20s));
}

// Anyone may send a request: the access log quotes its target on one line,
// whatever line or paragraph separator its bytes spell (U+2028, NEL).
TEST(DaemonProcess, TheAccessLogKeepsARequestTargetOnOneLine) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  child_process daemon({kBinary, "--config", config});
  auto line = daemon.wait_for_stderr("listening on", 20s);
  ASSERT_TRUE(line) << daemon.stderr_text();
  bluegreen::testing::http_connection conn("127.0.0.1", port_from(*line));
  conn.send_raw(
      "POST /hooks/slack\xe2\x80\xa8"
      "forged\xc2\x85line HTTP/1.1\r\n"
      "Host: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(conn.read_reply());
  auto logged = daemon.wait_for_stderr("POST /hooks/slack", 20s);
  ASSERT_TRUE(logged) << daemon.stderr_text();
  EXPECT_NE(logged->find("/hooks/slack\\u{2028}forged\\u{0085}line"), std::string::npos) << *logged;
  daemon.signal(SIGTERM);
  EXPECT_TRUE(daemon.wait_exit(20s));
}

TEST(DaemonProcess, RefusesToStartOnACorruptStateFile) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  dir.write("state/state.db", std::string(4096, 'x'));
  child_process daemon({kBinary, "--config", config});
  auto status = daemon.wait_exit(20s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 3);
  EXPECT_NE(daemon.stderr_text().find("not a valid SQLite database"), std::string::npos)
      << daemon.stderr_text();
}

TEST(DaemonProcess, RefusesToStartOnAnInvalidConfig) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", "[server]\nlisten = \"nowhere\"\n");
  child_process daemon({kBinary, "--config", config});
  auto status = daemon.wait_exit(20s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 1);
  EXPECT_NE(daemon.stderr_text().find(":2:10: server.listen:"), std::string::npos)
      << daemon.stderr_text();
}

TEST(DaemonProcess, RefusesToStartWhenTheAddressIsTaken) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  child_process first({kBinary, "--config", config});
  auto line = first.wait_for_stderr("listening on", 20s);
  ASSERT_TRUE(line);
  std::string taken = std::regex_replace(
      example_config(dir), std::regex("127.0.0.1:0"), "127.0.0.1:" + std::to_string(port_from(*line)));
  // A state directory of its own: one daemon per state directory.
  taken = std::regex_replace(taken, std::regex("/state\""), "/state2\"");
  auto second_config = dir.write("second.toml", taken);
  child_process second({kBinary, "--config", second_config});
  auto status = second.wait_exit(20s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 3);
  EXPECT_NE(second.stderr_text().find("cannot listen on"), std::string::npos);
}

// The permission bits of `p` that are not the owner's.
unsigned group_and_other_bits(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    ADD_FAILURE() << p << " does not exist";
    return 0;
  }
  return st.st_mode & 077;
}

TEST(DaemonProcess, StateFilesAreOwnerOnlyWhateverTheUmask) {
  mode_t previous = ::umask(022);  // a login shell's, which the daemon inherits
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  std::string token = create_token(config, "ops", "read");
  EXPECT_EQ(group_and_other_bits(dir / "state/state.db"), 0u);
  child_process daemon({kBinary, "--config", config});
  ::umask(previous);
  auto line = daemon.wait_for_stderr("listening on", 20s);
  ASSERT_TRUE(line) << daemon.stderr_text();
  ASSERT_EQ(app_names(port_from(*line), token), std::vector<std::string>{"keepthescore"});
  for (const char* name :
       {"state.db", "state.db-wal", "state.db-shm", "bluegreend.lock", "local-commands"})
    EXPECT_EQ(group_and_other_bits(dir / "state" / name), 0u) << name;
  daemon.signal(SIGTERM);
  auto status = daemon.wait_exit(20s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << daemon.stderr_text();
}

// A state.db the daemon may read but not write (made by root, or chmod
// 0444): the daemon refuses to start, with or without apps.
TEST(DaemonProcess, RefusesToStartOnAStateFileItCannotWrite) {
  for (bool with_apps : {true, false}) {
    SCOPED_TRACE(with_apps ? "with apps" : "without apps");
    temp_dir dir;
    std::string text = with_apps ? example_config(dir)
                                 : "[server]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"" +
                                       (dir / "state").string() + "\"\n";
    auto config = dir.write("bluegreen.toml", text);
    create_token(config, "ops", "read");  // state.db, made by the test's user
    std::vector<std::string> argv = {kBinary, "--config", config};
    if (::geteuid() == 0) {
      // The daemon runs as another user, in a state directory of its own,
      // with a state.db that root made.
      std::filesystem::permissions(
          dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                          std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                          std::filesystem::perms::others_exec);
      ASSERT_EQ(::chown((dir / "state").c_str(), 65534, 65534), 0);
      ::chmod((dir / "state/state.db").c_str(), 0644);
      argv.insert(argv.begin(),
                  {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    } else {
      ::chmod((dir / "state/state.db").c_str(), 0444);
    }
    child_process daemon(argv);
    auto status = daemon.wait_exit(20s);
    ASSERT_TRUE(status) << "serving on a state file it cannot write: " << daemon.stderr_text();
    EXPECT_EQ(*status, 3);
    EXPECT_NE(
        daemon.stderr_text().find("cannot use state database " + (dir / "state/state.db").string() +
                                  ": the file is not writable for this user"),
        std::string::npos)
        << daemon.stderr_text();
  }
}

// systemd's side of Type=notify: a datagram socket named by NOTIFY_SOCKET.
class notify_socket {
 public:
  explicit notify_socket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("bind notify socket failed");
  }
  ~notify_socket() { ::close(fd_); }
  // Collects datagrams until one contains `needle`; returns all seen.
  std::optional<std::string> wait_for(const std::string& needle, std::chrono::milliseconds deadline) {
    auto end = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      if (seen_.find(needle) != std::string::npos) return seen_;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) seen_ += std::string(buf, static_cast<size_t>(n)) + "\n";
    }
  }

 private:
  std::filesystem::path path_;
  int fd_;
  std::string seen_;
};

TEST(DaemonProcess, TellsSystemdWhenReadyFeedsTheWatchdogAndSaysWhenStopping) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  notify_socket systemd(dir / "notify.sock");
  child_process daemon({kBinary, "--config", config},
                       {"NOTIFY_SOCKET=" + (dir / "notify.sock").string(), "WATCHDOG_USEC=200000"});
  auto ready = systemd.wait_for("READY=1", 20s);
  ASSERT_TRUE(ready) << daemon.stderr_text();
  EXPECT_NE(ready->find("STATUS=listening on 127.0.0.1:"), std::string::npos) << *ready;
  // The watchdog is fed every WATCHDOG_USEC/2: several times within a few seconds.
  auto fed = systemd.wait_for("WATCHDOG=1\nWATCHDOG=1\nWATCHDOG=1", 20s);
  EXPECT_TRUE(fed);
  daemon.signal(SIGHUP);
  EXPECT_TRUE(systemd.wait_for("RELOADING=1", 20s));
  daemon.signal(SIGTERM);
  EXPECT_TRUE(systemd.wait_for("STOPPING=1", 20s));
  auto status = daemon.wait_exit(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0);
}

// A real full disk: the state directory on a 4 MiB tmpfs of its own (in a
// user and mount namespace, so no privilege is needed), filled up through
// /proc/PID/root while the daemon runs.
TEST(DaemonProcess, AFullDiskRefusesChangesWith507AndKeepsServingReads) {
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", example_config(dir));
  auto state = dir / "state";
  std::filesystem::create_directories(state);
  child_process daemon(
      {"/usr/bin/unshare", "-Urm", "/bin/sh", "-c",
       "mount -t tmpfs -o size=4m tmpfs \"$0\" && \"$1\" token create full --scope deploy "
       "--config \"$2\" && \"$1\" token create reader --scope read --config \"$2\" && "
       "exec \"$1\" --config \"$2\"",
       state.string(), kBinary, config.string()});
  auto secret = daemon.wait_for_stdout("bgt_", 20s);
  ASSERT_TRUE(secret) << daemon.stderr_text();
  std::string token = secret->substr(secret->find("bgt_"), 4 + 64);
  // A token first used once the disk is full: checking it must not write.
  auto reader_secret = daemon.wait_for_stdout("bgt_", 20s);
  ASSERT_TRUE(reader_secret) << daemon.stderr_text();
  std::string reader = reader_secret->substr(reader_secret->find("bgt_"), 4 + 64);
  auto line = daemon.wait_for_stderr("listening on", 20s);
  ASSERT_TRUE(line) << daemon.stderr_text();
  std::uint16_t port = port_from(*line);
  ASSERT_EQ(http_request(port, "GET", "/api/v1/apps", token).value().status, 200);

  // Fill the daemon's view of the state directory to the last byte.
  auto filler = "/proc/" + std::to_string(daemon.pid()) + "/root" + (state / "filler").string();
  {
    FILE* f = std::fopen(filler.c_str(), "w");
    ASSERT_TRUE(f) << filler << ": " << std::strerror(errno);
    std::string block(4096, 'f');
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size() && std::fflush(f) == 0) {
    }
    std::fclose(f);
  }

  auto refused = http_request(port, "POST", "/api/v1/apps/keepthescore/lock", token,
                              R"({"reason": "maintenance"})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 507) << refused->body;
  EXPECT_EQ(json::parse(refused->body)["error"]["code"], "storage_full") << refused->body;
  EXPECT_TRUE(daemon.wait_for_stderr("free space on the file system that holds", 20s))
      << daemon.stderr_text();
  // Reads (and verifying the token they carry) write nothing, so they work.
  for (std::string path : {"/api/v1/apps", "/api/v1/apps/keepthescore", "/api/v1/events",
                           "/api/v1/apps/keepthescore/deployments"}) {
    EXPECT_EQ(http_request(port, "GET", path, token).value().status, 200) << path;
    EXPECT_EQ(http_request(port, "GET", path, reader).value().status, 200) << path;
  }

  // With space again, the same change goes through.
  ASSERT_EQ(std::remove(filler.c_str()), 0) << std::strerror(errno);
  auto locked = http_request(port, "POST", "/api/v1/apps/keepthescore/lock", token,
                             R"({"reason": "maintenance"})");
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 201) << locked->body;

  daemon.signal(SIGTERM);
  auto status = daemon.wait_exit(20s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << daemon.stderr_text();
}

}  // namespace
