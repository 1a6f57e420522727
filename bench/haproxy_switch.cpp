// HAProxy switch benchmark, in one run on this machine, against the real
// stack (bluegreend, HAProxy 2.6 master-worker, demo apps on loopback):
//  (a) time from POST .../switch to the first request through HAProxy that
//      the new colour answers, median and p99 over N switches, beside the
//      same flip typed by hand on the admin socket (one `set server ...
//      weight` line: the least any runtime-API switch can do);
//  (b) requests that failed for clients under wrk load during N switches,
//      for keep-alive and for Connection: close clients, beside the same
//      flips by hand.
//
//   build/bench/bench/haproxy_switch [switches]
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>
#include <stdexcept>
#include <thread>

#include "bench/switch_figures.hpp"
#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace bluegreen::testing;
using namespace bluegreen::bench;
using nlohmann::json;

// Polls through the load balancer until `identity` answers.
void wait_for(world& w, const std::string& identity) {
  bluegreen::bench::wait_for(w, identity, std::chrono::microseconds(200), "HAProxy");
}

// Where a switch's time goes, from the daemon's own records.
struct phases {
  std::vector<double> accepted;  // POST answered 202
  std::vector<double> to_route;  // operation created -> the backend's log line
  std::vector<double> route;     // "switching ..." line -> the backend's log line
};
phases timing;

// Milliseconds of the day in an API time ("2026-11-30T12:36:24.588Z").
double ms_of(const std::string& at) {
  int h = 0, m = 0;
  double sec = 0;
  std::sscanf(at.c_str() + 11, "%d:%d:%lfZ", &h, &m, &sec);
  return ((h * 60 + m) * 60 + sec) * 1000;
}

double switch_once(world& w, const std::string& to) {
  auto start = clock_type::now();
  auto r = w.api("POST", "/api/v1/apps/demo/switch", json{{"to", to}}.dump());
  if (r.status != 202) throw std::runtime_error("switch refused: " + r.body.dump());
  double accepted = ms_since(start);
  wait_for(w, to + "-production");
  double elapsed = ms_since(start);
  std::int64_t id = r.body["operation"]["id"];
  auto done = w.follow(id);
  if (done["state"] != "succeeded") throw std::runtime_error("switch failed: " + done.dump());
  timing.accepted.push_back(accepted);
  auto log = w.api("GET", "/api/v1/deployments/" + std::to_string(id) + "/log?limit=100").body;
  double switching = 0;
  for (const auto& l : log["lines"]) {
    std::string text = l["text"];
    if (text.starts_with("switching ")) switching = ms_of(l["at"]);
    if (text.starts_with("haproxy: ")) {
      timing.route.push_back(ms_of(l["at"]) - switching);
      timing.to_route.push_back(ms_of(l["at"]) - ms_of(done["created_at"]));
    }
  }
  return elapsed;
}

// The same flip by hand: one line on the admin socket, the new colour's
// weights first.
double by_hand_once(world& w, const std::string& to) {
  std::string green_weight = to == "green" ? "100" : "0";
  std::string line = to == "blue" ? "set server demo/blue1 weight 100; " : "";
  for (const char* g : {"green1", "green2", "green3"})
    line += std::string("set server demo/") + g + " weight " + green_weight + "; ";
  if (to == "green")
    line += "set server demo/blue1 weight 0";
  else
    line.resize(line.size() - 2);  // the last "; "
  auto start = clock_type::now();
  std::string reply = w.haproxy_command(line);
  if (reply.find_first_not_of(" \n") != std::string::npos)
    throw std::runtime_error("HAProxy refused: " + reply);
  wait_for(w, to + "-production");
  return ms_since(start);
}


}  // namespace

int main(int argc, char** argv) try {
  int switches = argc > 1 ? std::atoi(argv[1]) : 50;
  if (switches % 2) ++switches;  // by hand, end where bluegreend left it
  world w(world_options{.haproxy = true});
  w.commit_version("2.0.0");
  if (w.deploy("main")["state"] != "ready") throw std::runtime_error("deploy failed");
  switch_once(w, "green");  // both colours now hold a verified release
  std::string current = "green";

  std::vector<double> through_daemon, by_hand;
  for (int i = 0; i < switches; ++i) {
    current = other(current);
    through_daemon.push_back(switch_once(w, current));
  }
  for (int i = 0; i < switches; ++i) {
    current = other(current);
    by_hand.push_back(by_hand_once(w, current));
  }
  auto a = summarise(through_daemon), b = summarise(by_hand);
  std::printf(
      "(a) POST switch -> first request through HAProxy answered by the new colour, %d switches:\n",
      switches);
  std::printf("    bluegreend switch                median %7.2f ms   p99 %7.2f ms\n", a.median,
              a.p99);
  std::printf("    by hand: one `set server` line   median %7.2f ms   p99 %7.2f ms\n", b.median,
              b.p99);
  std::printf(
      "    of the bluegreend switch: POST answered 202 after median %.1f ms; operation created to "
      "weights set %.1f ms, of which the backend (read, set, save) %.1f ms (ms resolution)\n",
      summarise(timing.accepted).median, summarise(timing.to_route).median,
      summarise(timing.route).median);

  std::printf(
      "(b) requests failed for clients under wrk load (2 threads, 16 connections), %d switches:\n",
      switches);
  for (bool keep_alive : {true, false}) {
    auto daemon_run = under_load(w, keep_alive, [&] {
      for (int i = 0; i < switches; ++i) {
        current = other(current);
        switch_once(w, current);
      }
    });
    auto hand_run = under_load(w, keep_alive, [&] {
      for (int i = 0; i < switches; ++i) {
        current = other(current);
        by_hand_once(w, current);
      }
    });
    const char* kind = keep_alive ? "keep-alive       " : "Connection: close";
    std::printf("    %s  bluegreend %ld failed of %ld   by hand %ld failed of %ld\n", kind,
                daemon_run.failures, daemon_run.requests, hand_run.failures, hand_run.requests);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "haproxy_switch: %s\n", e.what());
  return 1;
}
