// Start-up benchmark: the time from starting bluegreend to its "listening
// on" line (READY=1 goes to systemd at the same moment), to the first
// /healthz answer, and to the end of its recovery, with many apps whose load
// balancer is slow to say what it routes to (a command backend whose
// current_command sleeps). Printed beside what recovering the apps one by one
// before listening costs: apps x seconds.
//
//   build/bench/bench/start_time [apps=60] [seconds=1] [binary=bluegreend]
//
// Another binary (e.g. one built from an older commit, which recovers every
// app before it listens) can be measured the same way.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace bluegreen::testing;
using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

std::string config_text(const temp_dir& dir, int apps, int seconds) {
  std::string text = "[server]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"" +
                     (dir / "state").string() + "\"\n[ssh]\nuse_agent = true\n";
  for (int i = 1; i <= apps; ++i) {
    text += "\n[[app]]\nname = \"app" + std::to_string(i) +
            "\"\npublic_url = \"http://127.0.0.1:9\"\n"
            "  [app.blue]\n  hosts = [\"deploy@127.0.0.1\"]\n  url = \"http://127.0.0.1:9\"\n"
            "  [app.green]\n  hosts = [\"deploy@127.0.0.2\"]\n  url = \"http://127.0.0.2:9\"\n"
            "  [app.deploy]\n  steps = [\"true\"]\n  resolve = \"git rev-parse {ref}\"\n"
            "  [app.traffic]\n  backend = \"command\"\n  switch_command = \"true\"\n"
            "  current_command = \"sleep " +
            std::to_string(seconds) + "; echo blue\"\n";
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  int apps = argc > 1 ? std::stoi(argv[1]) : 60;
  int seconds = argc > 2 ? std::stoi(argv[2]) : 1;
  std::string binary = argc > 3 ? argv[3] : BLUEGREEN_BINARY;
  temp_dir dir;
  auto config = dir.write("bluegreen.toml", config_text(dir, apps, seconds));
  auto sequential = std::chrono::seconds(apps * seconds);
  auto deadline = sequential * 2 + std::chrono::seconds(60);

  auto started = clock_type::now();
  child_process daemon({binary, "run", "--config", config.string()});
  auto line = daemon.wait_for_stderr("listening on", deadline);
  double listening = ms_since(started);
  if (!line) {
    std::fprintf(stderr, "bluegreend did not listen: %s\n", daemon.stderr_text().c_str());
    return 1;
  }
  std::smatch m;
  if (!std::regex_search(*line, m, std::regex("http://127\\.0\\.0\\.1:([0-9]+)"))) return 1;
  auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
  double healthy = -1;
  auto give_up = clock_type::now() + std::chrono::seconds(60);
  while (clock_type::now() < give_up) {
    auto r = http_request(port, "GET", "/healthz");
    if (r && r->status == 200) {
      healthy = ms_since(started);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // A daemon that listened only after the time the apps take one by one
  // recovered them before listening (as before background recovery).
  bool before_listening =
      sequential.count() > 0 &&
      listening >= std::chrono::duration<double, std::milli>(sequential).count();
  std::optional<std::string> finished;
  if (!before_listening) finished = daemon.wait_for_stderr("recovery finished", deadline);
  double recovered = finished ? ms_since(started) : -1;

  std::printf("%d app(s), current_command takes %d s each, %s\n", apps, seconds, binary.c_str());
  std::printf("  \"listening on\" (READY=1)  %9.0f ms\n", listening);
  std::printf("  first /healthz 200        %9.0f ms\n", healthy);
  if (finished)
    std::printf("  recovery finished         %9.0f ms\n", recovered);
  else if (before_listening)
    std::printf("  recovery finished         (before listening)\n");
  else
    std::printf("  recovery finished         (no \"recovery finished\" line)\n");
  std::printf("  reference: one app after the other before listening, at least %lld ms\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(sequential).count()));
  return 0;
}
