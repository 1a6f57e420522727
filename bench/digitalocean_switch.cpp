// DigitalOcean reserved-IP switch benchmark, against the DigitalOcean test
// server (real bluegreend, sshd and demo apps on loopback; assign actions
// that stay in progress for 2 s, the backend's default 1 s poll interval):
//  - time from POST .../switch until the reserved IP is answered by the new
//    colour, and until the operation has ended (confirmed), against the
//    action time plus one poll interval;
//  - the API requests each switch makes, by kind (reading the IP, the
//    assign, reading the action).
//
//   build/bench/bench/digitalocean_switch [switches] [action_ms]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "bench/switch_figures.hpp"
#include "tests/support/world.hpp"

namespace {

using bluegreen::bench::clock_type;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

struct counts {
  int read_ip = 0, assign = 0, read_action = 0, other = 0;
  int total() const { return read_ip + assign + read_action + other; }
};

counts count_requests(world& w) {
  counts c;
  json state = w.digitalocean("GET", "/state");
  for (const auto& r : state["requests"]) {
    std::string method = r["method"];
    std::string target = r["target"];
    if (method == "POST")
      ++c.assign;
    else if (target.find("/actions/") != std::string::npos)
      ++c.read_action;
    else if (target.starts_with("/v2/reserved_ips/"))
      ++c.read_ip;
    else
      ++c.other;
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  int switches = argc > 1 ? std::atoi(argv[1]) : 10;
  unsigned action_ms = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 2000;
  const double poll_ms = 1000;
  try {
    world_options o;
    o.digitalocean = true;
    o.digitalocean_action_ms = action_ms;
    o.digitalocean_poll_interval = "1s";
    o.digitalocean_switch_timeout = "2m";
    o.reality_interval = "0s";  // only the switches talk to the API
    world w(o);
    w.commit_version("2.0.0");
    if (w.deploy("main")["state"] != "ready") throw std::runtime_error("deploy failed");

    std::vector<double> answered, ended;
    counts worst, best{1000, 1000, 1000, 1000};
    std::string to = "green";
    for (int i = 0; i < switches; ++i) {
      w.digitalocean("POST", "/clear-log");
      auto start = clock_type::now();
      auto r = w.api("POST", "/api/v1/apps/demo/switch", json{{"to", to}}.dump());
      if (r.status != 202) throw std::runtime_error("switch refused: " + r.body.dump());
      bluegreen::bench::wait_for(w, to + "-production", std::chrono::milliseconds(5),
                                 "the reserved IP");
      answered.push_back(bluegreen::bench::ms_since(start));
      auto done = w.follow(r.body["operation"]["id"]);
      ended.push_back(bluegreen::bench::ms_since(start));
      if (done["state"] != "succeeded") throw std::runtime_error("switch failed: " + done.dump());
      auto c = count_requests(w);
      if (c.total() > worst.total()) worst = c;
      if (c.total() < best.total()) best = c;
      to = bluegreen::bench::other(to);
    }
    std::printf("digitalocean: %d switches, assign action %u ms, poll interval %.0f ms\n", switches,
                action_ms, poll_ms);
    std::printf(
        "  POST switch -> reserved IP answered by the new colour: median %.0f ms, max %.0f ms\n",
        bluegreen::bench::summarise(answered).median,
        *std::max_element(answered.begin(), answered.end()));
    std::printf(
        "  POST switch -> operation succeeded (confirmed):        median %.0f ms, max %.0f ms\n",
        bluegreen::bench::summarise(ended).median, *std::max_element(ended.begin(), ended.end()));
    std::printf("  target: action time + one poll interval = %.0f ms\n", action_ms + poll_ms);
    std::printf(
        "  API requests per switch: %d to %d (worst: %d reads of the IP, %d assign, "
        "%d reads of the action, %d other)\n",
        best.total(), worst.total(), worst.read_ip, worst.assign, worst.read_action, worst.other);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "digitalocean_switch: %s\n", e.what());
    return 1;
  }
  return 0;
}
