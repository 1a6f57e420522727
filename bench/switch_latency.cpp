// Switch benchmark, in one run on this machine, against the real stack
// (bluegreend, nginx, demo apps on loopback):
//  (a) time from POST .../switch to the first request through nginx that the
//      new colour answers, median and p99 over 50 switches, beside a bare
//      `nginx -s reload` doing the same flip, and beside the same flip with
//      `nginx -t` before the reload (the least any switch that tests the
//      configuration first can do);
//  (b) requests that failed for clients under wrk load during 50 switches,
//      for Connection: close and for keep-alive clients, beside both.
//
//   build/bench/bench/switch_latency [switches] [--no-load]   (--no-load: (a) only)
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
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
  bluegreen::bench::wait_for(w, identity, std::chrono::milliseconds(1), "nginx");
}

// One switch through bluegreend; returns ms until the new colour answers.
double switch_once(world& w, const std::string& to) {
  auto start = clock_type::now();
  auto r = w.api("POST", "/api/v1/apps/demo/switch", json{{"to", to}}.dump());
  if (r.status != 202) throw std::runtime_error("switch refused: " + r.body.dump());
  wait_for(w, to + "-production");
  double elapsed = ms_since(start);
  auto done = w.follow(r.body["operation"]["id"]);
  if (done["state"] != "succeeded") throw std::runtime_error("switch failed: " + done.dump());
  return elapsed;
}

// After a reload nginx's master starts the new workers and tells the old
// ones to stop only 100 ms later; until then both accept connections. The
// next flip starts once the old colour no longer answers (what bluegreend's
// confirmation waits for too: ten answers in a row from the new colour),
// or its first "new" answer could come from the old workers of this flip,
// which serve the colour the next flip goes to.
void settle(world& w, const std::string& identity) {
  auto end = clock_type::now() + std::chrono::seconds(30);
  for (int in_a_row = 0; in_a_row < 10;) {
    in_a_row = w.through_lb("/hostname") == identity ? in_a_row + 1 : 0;
    if (clock_type::now() > end) throw std::runtime_error("nginx never settled on " + identity);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The same flip done by hand: write the upstream file, (nginx -t,) nginx -s
// reload; it counts until the first answer from the new colour, then waits
// until the old workers are gone, as a switch through bluegreend does.
double by_hand_once(world& w, const std::string& to, const std::string& blue_file,
                    const std::string& green_file, bool tested) {
  std::ofstream(w.upstream_file()) << (to == "blue" ? blue_file : green_file);
  auto start = clock_type::now();
  if (tested) {
    std::string n = (w.root() / "nginx").string();
    auto t = run_command({"/usr/sbin/nginx", "-q", "-t", "-e", n + "/error.log", "-p", n, "-c",
                          n + "/nginx.conf"});
    if (t.status != 0) throw std::runtime_error("nginx -t failed: " + t.err);
  }
  auto r = run_command({(w.root() / "reload.sh").string()});
  if (r.status != 0) throw std::runtime_error("reload failed: " + r.err);
  wait_for(w, to + "-production");
  double elapsed = ms_since(start);
  settle(w, to + "-production");
  return elapsed;
}


}  // namespace

int main(int argc, char** argv) try {
  int switches = argc > 1 ? std::atoi(argv[1]) : 50;
  bool with_load = !(argc > 2 && std::strcmp(argv[2], "--no-load") == 0);
  world w;
  w.commit_version("2.0.0");
  if (w.deploy("main")["state"] != "ready") throw std::runtime_error("deploy failed");
  switch_once(w, "green");  // both colours now hold a verified release
  std::string current = "green";

  // Upstream files for the bare flips, as bluegreend would write them.
  std::string text = read_file(w.upstream_file());
  std::smatch m;
  std::regex_search(text, m, std::regex("127\\.0\\.0\\.3:([0-9]+)"));
  std::string port = m[1];
  std::string blue_file = "upstream demo {\n    server 127.0.0.2:" + port + ";\n}\n";
  std::string green_file = "upstream demo {\n    server 127.0.0.3:" + port + ";\n    server 127.0.0.4:" +
                           port + ";\n    server 127.0.0.5:" + port + ";\n}\n";

  std::vector<double> through_daemon, bare, tested;
  for (int i = 0; i < switches; ++i) {
    current = other(current);
    through_daemon.push_back(switch_once(w, current));
  }
  for (int i = 0; i < switches; ++i) {
    current = other(current);
    bare.push_back(by_hand_once(w, current, blue_file, green_file, false));
  }
  for (int i = 0; i < switches; ++i) {
    current = other(current);
    tested.push_back(by_hand_once(w, current, blue_file, green_file, true));
  }
  // Hand the routing back to bluegreend's record before the load runs.
  std::ofstream(w.upstream_file()) << text;
  run_command({(w.root() / "reload.sh").string()});
  current = "green";
  wait_for(w, "green-production");

  auto a = summarise(through_daemon), b = summarise(bare), t = summarise(tested);
  std::printf("(a) POST switch -> first request answered by the new colour, %d switches:\n", switches);
  std::printf("    bluegreend switch           median %7.1f ms   p99 %7.1f ms\n", a.median, a.p99);
  std::printf("    bare nginx -s reload        median %7.1f ms   p99 %7.1f ms\n", b.median, b.p99);
  std::printf("    nginx -t, nginx -s reload   median %7.1f ms   p99 %7.1f ms\n", t.median, t.p99);
  std::printf("    ratio of medians            %.2fx the bare reload, %.2fx the tested reload\n",
              a.median / b.median, a.median / t.median);

  if (!with_load) return 0;
  std::printf("(b) requests failed for clients under wrk load (2 threads, 16 connections), %d switches:\n",
              switches);
  for (bool keep_alive : {false, true}) {
    auto daemon_run = under_load(w, keep_alive, [&] {
      for (int i = 0; i < switches; ++i) {
        current = other(current);
        switch_once(w, current);
      }
    });
    auto bare_run = under_load(w, keep_alive, [&] {
      for (int i = 0; i < switches; ++i) {
        current = other(current);
        by_hand_once(w, current, blue_file, green_file, false);
      }
    });
    auto tested_run = under_load(w, keep_alive, [&] {
      for (int i = 0; i < switches; ++i) {
        current = other(current);
        by_hand_once(w, current, blue_file, green_file, true);
      }
    });
    const char* kind = keep_alive ? "keep-alive       " : "Connection: close";
    std::printf("    %s  bluegreend %ld failed of %ld   bare reload %ld of %ld   tested reload %ld of %ld\n",
                kind, daemon_run.failures, daemon_run.requests, bare_run.failures, bare_run.requests,
                tested_run.failures, tested_run.requests);
    // Leave nginx where bluegreend recorded it, so its next switch sees no drift.
    std::string recorded = w.api("GET", "/api/v1/apps/demo").body["live"];
    if (recorded != current) {
      std::ofstream(w.upstream_file()) << (recorded == "blue" ? blue_file : green_file);
      run_command({(w.root() / "reload.sh").string()});
      current = recorded;
      wait_for(w, recorded + "-production");
    }
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "switch_latency: %s\n", e.what());
  return 1;
}
