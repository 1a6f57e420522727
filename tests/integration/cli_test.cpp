// `bluegreen`, the API's command-line client, as an operator runs it: the
// real binary against the real daemon of a world (sshd, demo apps, nginx),
// its output and its exit status. Two worlds: one for a release's way (a
// deploy followed to ready, a switch, a rollback, refusals and failures),
// one for what reads (status, colour, the event stream, the completions).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/support/file_gate.hpp"
#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace bluegreen::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kCli = BLUEGREEN_CLI_BINARY;

class Cli : public ::testing::Test {
 protected:
  void start() {
    world_ = new world();
    world_->start_daemon();
  }
  void SetUp() override { config_home_ = new temp_dir(); }
  void TearDown() override {
    delete world_;
    delete config_home_;
    world_ = nullptr;
  }

  // The steps of the tests below, in the order they run.
  void StatusShowsTheAppsTableAndOneAppInDetail();
  void ADeployFollowedShowsEachLineAsItComesAndEndsReady();
  void SwitchAndRollbackFollowedReportTheirOutcome();
  void ALockRefusesADeployWithTheApisMessageAndExit3();
  void AFailedDeployFollowedShowsStderrAndExits1();
  void TasksLogsCancelAndTheEventStream();
  void ABadTokenIsExit4();
  void ColourOnlyOnATerminalAndNeverWithNoColor();
  void BashCompletesCommandsOptionsAndAppNamesFromTheServer();
  void ZshCompletesCommandsAndAppNamesFromTheServer();

  static std::string url() { return "http://127.0.0.1:" + std::to_string(world_->api_port()); }

  // The environment of an operator's shell: the URL and token exported, no
  // config file of this machine's user in the way, output piped.
  static std::vector<std::string> env(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> e = {"BLUEGREEN_URL=" + url(), "BLUEGREEN_TOKEN=" + world_->token(),
                                  "XDG_CONFIG_HOME=" + config_home_->path().string(),
                                  "NO_COLOR=", "TERM=xterm"};
    e.insert(e.end(), extra.begin(), extra.end());
    return e;
  }

  // The client's command line in that environment.
  static std::vector<std::string> command(const std::vector<std::string>& args,
                                          const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> argv = {"/usr/bin/env"};
    for (const auto& e : env(extra_env)) argv.push_back(e);
    argv.push_back(kCli);
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  static run_result cli(const std::vector<std::string>& args,
                        const std::vector<std::string>& extra_env = {}) {
    return run_command(command(args, extra_env));
  }

  // How the log names a host: user@[address]:port.
  static std::string host_label(const std::string& address) {
    std::string ssh = world_->ssh_host(address);
    return ssh.substr(0, ssh.find('@') + 1) + "[" + address + "]" + ssh.substr(ssh.rfind(':'));
  }

  static world* world_;
  static temp_dir* config_home_;
};

world* Cli::world_ = nullptr;
temp_dir* Cli::config_home_ = nullptr;

std::string describe(const run_result& r) {
  return "exit " + std::to_string(r.status) + "\nstdout:\n" + r.out + "stderr:\n" + r.err;
}

void Cli::StatusShowsTheAppsTableAndOneAppInDetail() {
  auto all = cli({"status"});
  ASSERT_EQ(all.status, 0) << describe(all);
  EXPECT_TRUE(all.out.starts_with("APP   LIVE  ROUTING   BLUE")) << all.out;
  EXPECT_NE(all.out.find("\ndemo  blue  blue:100"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("  not deployed"), std::string::npos) << all.out;
  EXPECT_EQ(all.out.find('\x1b'), std::string::npos) << "colour in a pipe";

  auto one = cli({"status", "demo"});
  ASSERT_EQ(one.status, 0) << describe(one);
  EXPECT_NE(one.out.find("live      blue (blue:100)"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("blue (live)  http://127.0.0.2:"), std::string::npos) << one.out;

  auto json_out = cli({"status", "--json"});
  ASSERT_EQ(json_out.status, 0) << describe(json_out);
  EXPECT_EQ(json::parse(json_out.out)["apps"][0]["live"], "blue");
}

void Cli::ADeployFollowedShowsEachLineAsItComesAndEndsReady() {
  world_->commit_version("1.1.0");
  // The deploy's last step waits at the gate: the lines before it must
  // already be on the terminal while the deploy still runs.
  auto hold = std::make_unique<file_gate>(world_->root() / "deploy-hold");
  child_process deploy(command({"deploy", "demo", "--follow"}));
  EXPECT_TRUE(deploy.wait_for_stdout("deploy #", 60s).has_value()) << deploy.stderr_text();
  // A host's output after its address: root@[127.0.0.3]:PORT| ...
  EXPECT_TRUE(
      deploy.wait_for_stdout(host_label("127.0.0.3") + "| holding on 127.0.0.3", 60s).has_value())
      << deploy.stdout_text() << deploy.stderr_text();
  EXPECT_EQ(deploy.stdout_text().find("=>"), std::string::npos) << "ended while held";
  hold->open();
  hold.reset();
  std::filesystem::remove(world_->root() / "deploy-hold");
  auto status = deploy.wait_exit(120s);
  ASSERT_EQ(status, 0) << deploy.stdout_text() << deploy.stderr_text();
  auto out = deploy.stdout_text();
  EXPECT_NE(out.find("of demo: main to green, by "), std::string::npos) << out;
  EXPECT_NE(out.find(host_label("127.0.0.4") + "| now at 1.1.0"), std::string::npos) << out;
  EXPECT_NE(out.find("\n=> ready in "), std::string::npos) << out;
  EXPECT_EQ(world_->through_lb("/version"), "1.0.0");
}

void Cli::SwitchAndRollbackFollowedReportTheirOutcome() {
  auto sw = cli({"switch", "demo", "--follow"});
  ASSERT_EQ(sw.status, 0) << describe(sw);
  EXPECT_NE(sw.out.find("of demo: to green"), std::string::npos) << sw.out;
  EXPECT_NE(sw.out.find("\n=> succeeded in "), std::string::npos) << sw.out;
  EXPECT_EQ(world_->through_lb("/version"), "1.1.0");

  // Without --follow: the accepted operation and how to follow it. With
  // --json, one JSON object per line: the answer, the log lines, the end.
  auto back = cli({"rollback", "demo", "--follow", "--json"});
  ASSERT_EQ(back.status, 0) << describe(back);
  std::istringstream lines(back.out);
  std::string line;
  std::vector<json> objects;
  while (std::getline(lines, line)) objects.push_back(json::parse(line));
  ASSERT_GE(objects.size(), 3u) << back.out;
  EXPECT_EQ(objects.front()["operation"]["kind"], "rollback");
  EXPECT_TRUE(objects[1].contains("text")) << objects[1].dump();
  EXPECT_EQ(objects.back()["state"], "succeeded");
  EXPECT_EQ(world_->through_lb("/version"), "1.0.0");

  auto history = cli({"history", "demo"});
  ASSERT_EQ(history.status, 0) << describe(history);
  EXPECT_TRUE(
      std::regex_search(history.out, std::regex("\n#3 +demo +rollback +blue +- +succeeded ")))
      << history.out;
  EXPECT_TRUE(
      std::regex_search(history.out, std::regex("\n#2 +demo +switch +green +- +succeeded ")))
      << history.out;
  EXPECT_TRUE(
      std::regex_search(history.out, std::regex("\n#1 +demo +deploy +green +main +succeeded ")))
      << history.out;
}

void Cli::ALockRefusesADeployWithTheApisMessageAndExit3() {
  auto lock = cli({"lock", "demo", "release freeze"});
  ASSERT_EQ(lock.status, 0) << describe(lock);
  EXPECT_NE(lock.out.find("locked demo"), std::string::npos) << lock.out;
  auto deploy = cli({"deploy", "demo", "main"});
  EXPECT_EQ(deploy.status, 3) << describe(deploy);
  EXPECT_NE(deploy.err.find("is locked by"), std::string::npos) << deploy.err;
  EXPECT_NE(deploy.err.find("(release freeze)"), std::string::npos) << deploy.err;
  EXPECT_NE(deploy.err.find("(locked)"), std::string::npos) << deploy.err;
  auto unlock = cli({"unlock", "demo"});
  EXPECT_EQ(unlock.status, 0) << describe(unlock);
  auto again = cli({"unlock", "demo"});
  EXPECT_EQ(again.status, 3) << describe(again);
}

void Cli::AFailedDeployFollowedShowsStderrAndExits1() {
  // Blue is live again after the rollback: the deploy goes to green.
  std::ofstream(world_->host_dir("127.0.0.4") / "fail-deploy");
  auto deploy = cli({"deploy", "demo", "main", "--follow"});
  std::filesystem::remove(world_->host_dir("127.0.0.4") / "fail-deploy");
  EXPECT_EQ(deploy.status, 1) << describe(deploy);
  EXPECT_NE(deploy.out.find(host_label("127.0.0.4") + " stderr| refusing to deploy on 127.0.0.4"),
            std::string::npos)
      << deploy.out;
  EXPECT_NE(deploy.out.find("\n=> failed in "), std::string::npos) << deploy.out;
}

void Cli::TasksLogsCancelAndTheEventStream() {
  auto task = cli({"task", "demo", "migrate", "--on", "blue", "--follow"});
  ASSERT_EQ(task.status, 0) << describe(task);
  EXPECT_NE(task.out.find("of demo: migrate on blue"), std::string::npos) << task.out;
  EXPECT_NE(task.out.find("\n=> succeeded in "), std::string::npos) << task.out;

  // The first deploy's log, read afterwards, ends with how it ended.
  auto logs = cli({"logs", "1"});
  ASSERT_EQ(logs.status, 0) << describe(logs);
  EXPECT_NE(logs.out.find("| now at 1.1.0"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("\n=> succeeded in "), std::string::npos) << logs.out;
  auto cancel = cli({"cancel", "1"});
  EXPECT_EQ(cancel.status, 3) << describe(cancel);
  EXPECT_NE(cancel.err.find("(not_running)"), std::string::npos) << cancel.err;
  auto unknown = cli({"logs", "999", "--follow"});
  EXPECT_EQ(unknown.status, 3) << describe(unknown);

  // The event stream, one JSON object per line, from the next event on: a
  // lock and an unlock are repeated until the stream (connecting meanwhile)
  // has shown one.
  child_process events(command({"events", "--follow", "--json"}));
  std::optional<std::string> seen;
  for (int attempt = 0; attempt < 20 && !seen; ++attempt) {
    ASSERT_EQ(world_->api("POST", "/api/v1/apps/demo/lock", R"({"reason":"stream"})").status, 201);
    ASSERT_EQ(world_->api("DELETE", "/api/v1/apps/demo/lock").status, 200);
    seen = events.wait_for_stdout("\"manual_lock\"", 1s);
  }
  ASSERT_TRUE(seen.has_value()) << events.stdout_text() << events.stderr_text();
  auto event = json::parse(*seen);
  EXPECT_EQ(event["type"], "app.changed");
  EXPECT_EQ(event["app"], "demo");
}

void Cli::ABadTokenIsExit4() {
  auto bad = cli({"status"}, {"BLUEGREEN_TOKEN=bgt_0000"});
  EXPECT_EQ(bad.status, 4) << describe(bad);
  EXPECT_NE(bad.err.find("(unauthorized)"), std::string::npos) << bad.err;
}

TEST_F(Cli, NoDaemonListeningIsExit4AndNoUrlIsExit2) {
  auto run = [&](const std::vector<std::string>& args, const std::string& token = "") {
    std::vector<std::string> argv = {"/usr/bin/env", "BLUEGREEN_URL=", "BLUEGREEN_TOKEN=" + token,
                                     "XDG_CONFIG_HOME=" + config_home_->path().string(), kCli};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  };

  // Bound but not listening: every connection is refused.
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  getsockname(s, reinterpret_cast<sockaddr*>(&address), &length);
  std::string closed = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  auto none = run({"--url", closed, "status"});
  close(s);
  EXPECT_EQ(none.status, 4) << describe(none);
  EXPECT_NE(none.err.find("cannot reach bluegreend at " + closed + " (from --url)"),
            std::string::npos)
      << none.err;

  // The environment's token is not sent to a server named by --url.
  auto elsewhere = run({"--url", closed, "status"}, "bgt_0");
  EXPECT_EQ(elsewhere.status, 2) << describe(elsewhere);
  EXPECT_NE(elsewhere.err.find("give --token-file FILE too"), std::string::npos) << elsewhere.err;

  auto no_url = run({"status"});
  EXPECT_EQ(no_url.status, 2) << describe(no_url);
  EXPECT_NE(no_url.err.find("give --url URL, set BLUEGREEN_URL, or set url in"), std::string::npos)
      << no_url.err;
}

void Cli::ColourOnlyOnATerminalAndNeverWithNoColor() {
  // script(1) gives the client a terminal.
  auto on_terminal = [&](const std::string& no_color) {
    std::vector<std::string> argv = {"/usr/bin/env"};
    for (const auto& e : env({"NO_COLOR=" + no_color})) argv.push_back(e);
    argv.insert(argv.end(), {"script", "-qec", kCli + " status", "/dev/null"});
    return run_command(argv);
  };
  auto painted = on_terminal("");
  ASSERT_EQ(painted.status, 0) << describe(painted);
  EXPECT_NE(painted.out.find("\x1b[34mblue\x1b[0m"), std::string::npos) << painted.out;
  auto plain = on_terminal("1");
  ASSERT_EQ(plain.status, 0) << describe(plain);
  EXPECT_EQ(plain.out.find('\x1b'), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("demo  blue"), std::string::npos) << plain.out;
}

void Cli::BashCompletesCommandsOptionsAndAppNamesFromTheServer() {
  // `words` as bash splits the command line `line` (at blanks, ':' and '='),
  // the cursor at its end; prints what the completion offers.
  auto complete = [&](const std::string& words, const std::string& line,
                      const std::vector<std::string>& extra_env = {}) {
    std::string script =
        "source /usr/share/bash-completion/bash_completion\n"
        "source " BLUEGREEN_SOURCE_DIR
        "/cli/completions/bluegreen.bash\n"
        "complete -p bluegreen\n"
        "COMP_WORDS=(" +
        words +
        ")\nCOMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
        "COMP_LINE='" +
        line +
        "'\nCOMP_POINT=${#COMP_LINE}\n"
        "_bluegreen\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    auto e = extra_env;
    e.push_back("PATH=" + std::filesystem::path(kCli).parent_path().string() + ":/usr/bin:/bin");
    std::vector<std::string> argv = {"/usr/bin/env"};
    for (const auto& v : env(e)) argv.push_back(v);
    argv.insert(argv.end(), {"/bin/bash", "-c", script});
    return run_command(argv);
  };
  auto commands = complete("bluegreen st", "bluegreen st");
  ASSERT_EQ(commands.status, 0) << describe(commands);
  EXPECT_EQ(commands.out, "complete -F _bluegreen bluegreen\nstatus\n");
  auto apps = complete("bluegreen deploy ''", "bluegreen deploy ");
  EXPECT_EQ(apps.out, "complete -F _bluegreen bluegreen\ndemo\n") << describe(apps);
  // The server named on the command line, its URL cut at ':' by bash.
  std::string port = std::to_string(world_->api_port());
  auto token_file = (config_home_->path() / "token").string();
  std::ofstream(token_file) << world_->token() << "\n";
  auto by_url = complete("bluegreen --url http : //127.0.0.1 : " + port + " --token-file " +
                             token_file + " rollback ''",
                         "bluegreen --url " + url() + " --token-file " + token_file + " rollback ",
                         {"BLUEGREEN_URL=", "BLUEGREEN_TOKEN="});
  EXPECT_EQ(by_url.out, "complete -F _bluegreen bluegreen\ndemo\n") << describe(by_url);
  auto options = complete("bluegreen switch demo --", "bluegreen switch demo --");
  EXPECT_NE(options.out.find("--weight\n"), std::string::npos) << options.out;
  auto colours = complete("bluegreen switch demo --to ''", "bluegreen switch demo --to ");
  EXPECT_EQ(colours.out, "complete -F _bluegreen bluegreen\nblue\ngreen\n") << colours.out;
}

// A hostile or broken server's app names: the bash completion offers only
// real app names and runs nothing written in them (compgen -W would expand
// $(...) and backquotes). `bluegreen` is a function printing those names.
TEST_F(Cli, BashCompletionRunsNothingTheServerNames) {
  auto marker = (config_home_->path() / "ran").string();
  std::string script =
      "source /usr/share/bash-completion/bash_completion\n"
      "source " BLUEGREEN_SOURCE_DIR
      "/cli/completions/bluegreen.bash\n"
      "bluegreen() { printf '%s\\n' demo 'd$(touch " +
      marker + ")' 'd`touch " + marker + "`' 'd;touch " + marker +
      "' 'd*' Demo2 docs; }\n"
      "COMP_WORDS=(bluegreen deploy d)\nCOMP_CWORD=2\nCOMP_LINE='bluegreen deploy d'\n"
      "COMP_POINT=${#COMP_LINE}\n"
      "_bluegreen\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
  auto offered = run_command({"/bin/bash", "-c", script});
  EXPECT_EQ(offered.status, 0) << describe(offered);
  EXPECT_EQ(offered.out, "demo\ndocs\n") << describe(offered);
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the completion ran the server's text";
}

// A server that answers a followed log with one line that never ends (4 MiB
// of it, then it closes): the client stops at 1 MiB and calls it garbled.
TEST_F(Cli, AnEndlessEventLineIsAGarbledAnswerNotEndlessMemory) {
  child_process server({"/usr/bin/python3", "-c",
                        "import socket\n"
                        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
                        "print(s.getsockname()[1], flush=True)\n"
                        "c, _ = s.accept(); c.recv(65536)\n"
                        "c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Type: text/event-stream\\r\\n\\r\\n"
                        "data: ')\n"
                        "try:\n"
                        "  for _ in range(64): c.sendall(b'x' * 65536)\n"
                        "except OSError: pass\n"
                        "c.close()\n"});
  ASSERT_TRUE(server.wait_for_stdout("\n", 30s).has_value()) << server.stderr_text();
  std::string port = server.stdout_text();
  std::string address = "http://127.0.0.1:" + port.substr(0, port.find('\n'));
  auto followed = run_command({"/usr/bin/env", "BLUEGREEN_URL=" + address, "BLUEGREEN_TOKEN=",
                               "XDG_CONFIG_HOME=" + config_home_->path().string(), kCli, "logs",
                               "1", "--follow"});
  EXPECT_EQ(followed.status, 5) << describe(followed);
  EXPECT_NE(followed.err.find("longer than 1 MiB"), std::string::npos) << followed.err;
}

// Interactive zsh on a pseudo-terminal (zsh/zpty): what TAB offers after
// `line`, read until it shows `until`.
run_result zsh_completes(const std::vector<std::string>& env, const std::string& line,
                         const std::string& until) {
  std::string script =
      "zmodload zsh/zpty\n"
      "zpty z 'zsh -f -i'\n"
      "zpty -w z 'PS1=\"> \"; fpath=(" BLUEGREEN_SOURCE_DIR
      "/cli/completions $fpath); autoload -U compinit; compinit -u -D'\n"
      "zpty -w -n z $'" +
      line +
      "\\t'\n"
      // Reads until the pattern matches; run_command's deadline ends a wait
      // for what never comes.
      "zpty -r -m z all '*" +
      until +
      "*'\n"
      "print -r -- \"$all\"\nzpty -d z\n";
  std::vector<std::string> argv = {"/usr/bin/env"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {"/usr/bin/zsh", "-fc", script});
  return run_command(argv);
}

void Cli::ZshCompletesCommandsAndAppNamesFromTheServer() {
  auto syntax =
      run_command({"/usr/bin/zsh", "-n", BLUEGREEN_SOURCE_DIR "/cli/completions/_bluegreen"});
  EXPECT_EQ(syntax.status, 0) << describe(syntax);
  auto path = "PATH=" + std::filesystem::path(kCli).parent_path().string() + ":/usr/bin:/bin";
  auto commands = zsh_completes(env({path}), "bluegreen ",
                                "rollback  -- move traffic back to the previous colour");
  EXPECT_NE(commands.out.find("rollback  -- move traffic back to the previous colour"),
            std::string::npos)
      << describe(commands);
  EXPECT_NE(commands.out.find("deploy    -- deploy a ref to the idle colour"), std::string::npos)
      << describe(commands);
  auto apps = zsh_completes(env({path}), "bluegreen deploy d", "demo");
  EXPECT_NE(apps.out.find("bluegreen deploy demo"), std::string::npos) << describe(apps);
}

// A switch that sends all traffic to one colour is watched (promote.watch):
// --follow stays until the watch ends, and a watch that switches back makes
// it exit 1; --no-watch stops when the switch itself ends.
TEST_F(Cli, AFollowedSwitchStaysThroughTheWatchAndExits1WhenItSwitchesBack) {
  world_ = new world({"manual", "20s"});
  world_->start_daemon();
  world_->commit_version("1.1.0");
  ASSERT_EQ(world_->deploy("main")["state"], "ready");

  auto quick = cli({"switch", "demo", "--follow", "--no-watch"});
  ASSERT_EQ(quick.status, 0) << describe(quick);
  EXPECT_NE(quick.out.find("\n=> succeeded in "), std::string::npos) << quick.out;
  EXPECT_EQ(quick.out.find("watches"), std::string::npos) << quick.out;
  EXPECT_EQ(world_->through_lb("/version"), "1.1.0");

  // Back to blue, followed; blue starts failing once the switch is done.
  child_process back(command({"switch", "demo", "--to", "blue", "--follow"}));
  auto waiting = back.wait_for_stdout("bluegreend watches ", 60s);
  ASSERT_TRUE(waiting.has_value()) << back.stdout_text() << back.stderr_text();
  EXPECT_NE(waiting->find(" for 20s "), std::string::npos) << *waiting;
  EXPECT_NE(back.stdout_text().find("\n=> succeeded in "), std::string::npos)
      << back.stdout_text();
  for (const auto& h : world_->blue_hosts()) std::ofstream(world_->host_dir(h) / "unhealthy");
  auto status = back.wait_exit(60s);
  auto out = back.stdout_text();
  EXPECT_EQ(status, 1) << out << back.stderr_text();
  EXPECT_NE(out.find("watch: blue failed 3 probes in a row; switching back to green\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\n=> rolled_back in "), std::string::npos) << out;
  EXPECT_NE(out.find("(watch_unhealthy)"), std::string::npos) << out;
  EXPECT_EQ(world_->through_lb("/version"), "1.1.0");
}

TEST_F(Cli, AReleaseFromDeployThroughSwitchAndRollbackToRefusalsAndFailures) {
  start();
  ASSERT_NO_FATAL_FAILURE(ADeployFollowedShowsEachLineAsItComesAndEndsReady());
  ASSERT_NO_FATAL_FAILURE(SwitchAndRollbackFollowedReportTheirOutcome());
  ASSERT_NO_FATAL_FAILURE(ALockRefusesADeployWithTheApisMessageAndExit3());
  ASSERT_NO_FATAL_FAILURE(AFailedDeployFollowedShowsStderrAndExits1());
  ASSERT_NO_FATAL_FAILURE(TasksLogsCancelAndTheEventStream());
}

TEST_F(Cli, StatusColourTokensAndCompletions) {
  start();
  ASSERT_NO_FATAL_FAILURE(StatusShowsTheAppsTableAndOneAppInDetail());
  ASSERT_NO_FATAL_FAILURE(ABadTokenIsExit4());
  ASSERT_NO_FATAL_FAILURE(ColourOnlyOnATerminalAndNeverWithNoColor());
  ASSERT_NO_FATAL_FAILURE(BashCompletesCommandsOptionsAndAppNamesFromTheServer());
  ASSERT_NO_FATAL_FAILURE(ZshCompletesCommandsAndAppNamesFromTheServer());
}

}  // namespace
}  // namespace bluegreen::testing
