// The local demo, end to end: scripts/demo started as the README says, the
// README's walk-through run with the bluegreen client against it, then Ctrl-C, a second
// start on the same sandbox and `scripts/demo --stop`; after each stop no
// process of the demo may be left.
//
// The differences from a user's run: the sandbox goes to a temporary
// directory (BLUEGREEN_DEMO_DIR) instead of the checkout's .demo/, and the
// demo runs on free ports instead of its defaults (8080, 8765, 2222, 8000),
// so the test never touches a developer's own demo, nor minds one running.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "tests/support/http_client.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::testing {
namespace {

using namespace std::chrono_literals;

const std::string kSource = BLUEGREEN_SOURCE_DIR;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The README's walk-through: every ```sh block between the markers, as one
// bash script that prints "@@ step N" before block N.
std::string walk_through(const std::string& sandbox) {
  std::string readme = read_text(kSource + "/README.md");
  auto start = readme.find("<!-- walk-through: start -->");
  auto end = readme.find("<!-- walk-through: end -->");
  if (start == std::string::npos || end == std::string::npos) return "";
  std::string part = readme.substr(start, end - start);
  std::regex block("```sh\n([\\s\\S]*?)```");
  std::string script = "set -euo pipefail\n";
  int n = 0;
  for (std::sregex_iterator it(part.begin(), part.end(), block), stop; it != stop; ++it)
    script += "echo '@@ step " + std::to_string(++n) + "'\n" + (*it)[1].str();
  // The one change: the sandbox is not the checkout's .demo/.
  return std::regex_replace(script, std::regex("\\.demo/"), sandbox + "/");
}

// Output of each step of the walk-through, by step number.
std::map<int, std::string> steps_of(const std::string& output) {
  std::map<int, std::string> steps;
  int current = 0;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("@@ step ", 0) == 0) {
      current = std::stoi(line.substr(8));
      continue;
    }
    steps[current] += line + "\n";
  }
  return steps;
}

std::string last_line(const std::string& text) {
  auto trimmed = text.substr(0, text.find_last_not_of('\n') + 1);
  return trimmed.substr(trimmed.rfind('\n') + 1);
}

// Command lines of every process that mentions the sandbox.
std::vector<std::string> processes_of(const std::string& sandbox) {
  std::vector<std::string> found;
  DIR* proc = opendir("/proc");
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string cmdline = command_line_of(e->d_name);
    if (cmdline.find(sandbox) != std::string::npos) found.push_back(cmdline);
  }
  closedir(proc);
  return found;
}

// Starts scripts/demo as the README says, from the checkout, with `args`
// and `env` added; the build is already there when scripts/test runs this,
// otherwise scripts/demo builds it first. True once the demo is up.
bool start_demo(std::unique_ptr<child_process>& demo, const std::string& sandbox,
                const std::vector<std::string>& args = {},
                const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {"/usr/bin/env", "BLUEGREEN_DEMO_DIR=" + sandbox};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(kSource + "/scripts/demo");
  argv.insert(argv.end(), args.begin(), args.end());
  demo = std::make_unique<child_process>(argv);
  return demo->wait_for_stdout("bluegreend's log follows", 15min).has_value();
}

TEST(Demo, TheReadmeWalkThroughWorksAndStoppingLeavesNothingRunning) {
  temp_dir dir;
  // First start, on free ports (two as options, two from the environment):
  // the sandbox is created. Should another program take a port between the
  // pick and the demo's bind, a fresh sandbox on other ports.
  std::unique_ptr<child_process> demo;
  std::string sandbox;
  std::uint16_t lb_port = 0;
  for (int attempt = 1;; ++attempt) {
    auto ports = free_ports({"127.0.0.1", "127.0.0.2", "127.0.0.3"}, 4);
    lb_port = ports[0];
    sandbox = (dir / ("demo" + std::to_string(attempt))).string();
    if (start_demo(demo, sandbox,
                   {"--lb-port", std::to_string(ports[0]), "--api-port", std::to_string(ports[1])},
                   {"BLUEGREEN_DEMO_SSH_PORT=" + std::to_string(ports[2]),
                    "BLUEGREEN_DEMO_APP_PORT=" + std::to_string(ports[3])}))
      break;
    bool taken = demo->stderr_text().find("already in use") != std::string::npos;
    ASSERT_TRUE(taken && attempt < 3) << "the demo did not come up:\n"
                                      << demo->stderr_text() << demo->stdout_text();
  }
  EXPECT_NE(demo->stderr_text().find("creating the sandbox"), std::string::npos);
  std::string lb = "http://127.0.0.1:" + std::to_string(lb_port);
  EXPECT_NE(demo->stdout_text().find("Open " + lb + "/"), std::string::npos) << demo->stdout_text();

  std::string script = walk_through(sandbox);
  ASSERT_NE(script.find("@@ step 6"), std::string::npos) << "no walk-through in README.md";
  dir.write("walk-through.sh", script);

  auto run = run_command(
      {"/bin/bash", "-c", "cd " + kSource + " && exec bash " + (dir / "walk-through.sh").string()});
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  auto steps = steps_of(run.out);

  // 1. blue serves 1.0.0.
  EXPECT_NE(steps[1].find("live      blue (blue:100)"), std::string::npos) << steps[1];
  EXPECT_EQ(last_line(steps[1]), "1.0.0");
  // 3. The deploy's log arrives line by line, ends ready; users still get 1.0.0.
  EXPECT_NE(steps[3].find("deploying main to green"), std::string::npos) << steps[3];
  EXPECT_NE(steps[3].find("| checked out release 1.1.0"), std::string::npos) << steps[3];
  EXPECT_NE(steps[3].find("\n=> ready in "), std::string::npos) << steps[3];
  EXPECT_EQ(last_line(steps[3]), "1.0.0");
  // 4. After the switch nginx serves green's 1.1.0.
  EXPECT_NE(steps[4].find("\n=> succeeded in "), std::string::npos) << steps[4];
  EXPECT_EQ(last_line(steps[4]), "1.1.0");
  // 5. After the rollback, blue's 1.0.0 again.
  EXPECT_NE(steps[5].find("\n=> succeeded in "), std::string::npos) << steps[5];
  EXPECT_EQ(last_line(steps[5]), "1.0.0");
  // 6. The history tells what happened.
  // The history's table: ID APP KIND COLOUR REF STATE ...
  auto row = [&](const std::string& kind, const std::string& colour, const std::string& ref) {
    return std::regex_search(steps[6], std::regex("#[0-9]+ +demo +" + kind + " +" + colour + " +" +
                                                  ref + " +succeeded "));
  };
  EXPECT_TRUE(row("rollback", "blue", "-")) << steps[6];
  EXPECT_TRUE(row("switch", "green", "-")) << steps[6];
  EXPECT_TRUE(row("deploy", "green", "main")) << steps[6];

  // Ctrl-C stops every process the demo started.
  demo->signal(SIGINT);
  ASSERT_TRUE(demo->wait_exit(60s).has_value()) << "the demo did not stop on Ctrl-C";
  EXPECT_EQ(processes_of(sandbox), std::vector<std::string>{});
  EXPECT_ANY_THROW(http_request(lb_port, "GET", "/version")) << "nginx still listens on " << lb;

  // A second start, without ports, reuses the sandbox and its ports: same
  // token, same history, blue live.
  ASSERT_TRUE(start_demo(demo, sandbox)) << "the demo did not come up again:\n"
                                         << demo->stderr_text() << demo->stdout_text();
  EXPECT_NE(demo->stderr_text().find("reusing the sandbox"), std::string::npos);
  auto again = run_command({"/bin/bash", "-c",
                            ". " + sandbox +
                                "/env && curl -sf -H \"Authorization: Bearer "
                                "$BLUEGREEN_TOKEN\" $BG/api/v1/apps/demo/deployments | jq -r "
                                "'.operations | length' && curl -s $LB/version"});
  EXPECT_EQ(again.out, "3\n1.0.0\n") << again.err;

  // scripts/demo --stop, from elsewhere, stops it too.
  auto stop = run_command(
      {"/usr/bin/env", "BLUEGREEN_DEMO_DIR=" + sandbox, kSource + "/scripts/demo", "--stop"});
  EXPECT_EQ(stop.status, 0) << stop.err;
  ASSERT_TRUE(demo->wait_exit(60s).has_value()) << "the demo did not stop on --stop";
  EXPECT_EQ(processes_of(sandbox), std::vector<std::string>{});
}

}  // namespace
}  // namespace bluegreen::testing
