// What the switch benchmarks share: timing, the median and p99 of a run,
// and wrk load against the test world's load balancer while switches run.
// Benchmarks only; never part of the product or its tests.
//
// Thread-safety: one thread.
#pragma once

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/world.hpp"

namespace bluegreen::bench {

using clock_type = std::chrono::steady_clock;

inline double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

struct stats {
  double median = 0, p99 = 0;
};

inline stats summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  stats s;
  s.median = v[v.size() / 2];
  s.p99 = v[std::min(v.size() - 1, static_cast<size_t>(v.size() * 0.99))];
  return s;
}

inline std::string other(const std::string& c) { return c == "blue" ? "green" : "blue"; }

// Polls through the load balancer until `identity` answers, pausing
// `pause` between requests: the pause keeps the poller from taking a core
// away from the switch it measures (the same for every way of switching).
inline void wait_for(testing::world& w, const std::string& identity,
                     std::chrono::microseconds pause, const std::string& load_balancer) {
  auto end = clock_type::now() + std::chrono::seconds(30);
  while (w.through_lb("/hostname") != identity) {
    if (clock_type::now() > end)
      throw std::runtime_error(load_balancer + " never answered " + identity);
    std::this_thread::sleep_for(pause);
  }
}

struct load_result {
  long requests = 0;
  long failures = 0;  // non-2xx/3xx answers plus socket errors
};

// Runs wrk (2 threads, 16 connections) against the load balancer while
// `work` runs, then stops it and reads its report.
inline load_result under_load(testing::world& w, bool keep_alive,
                              const std::function<void()>& work) {
  std::vector<std::string> argv = {"/usr/bin/wrk", "-t", "2", "-c", "16", "-d", "300s",
                                   "http://127.0.0.1:" + std::to_string(w.lb_port()) + "/hostname"};
  if (!keep_alive) {
    argv.push_back("-H");
    argv.push_back("Connection: close");
  }
  testing::child_process wrk(argv);
  wrk.wait_for_stdout("Running", std::chrono::seconds(10));
  work();
  wrk.signal(SIGINT);
  wrk.wait_exit(std::chrono::seconds(30));
  std::string out = wrk.stdout_text();
  if (std::getenv("BENCH_VERBOSE")) std::fprintf(stderr, "%s\n", out.c_str());
  load_result r;
  std::smatch m;
  if (std::regex_search(out, m, std::regex("([0-9]+) requests in"))) r.requests = std::stol(m[1]);
  if (std::regex_search(out, m, std::regex("Non-2xx or 3xx responses: ([0-9]+)")))
    r.failures += std::stol(m[1]);
  if (std::regex_search(out, m,
                        std::regex("Socket errors: connect ([0-9]+), read ([0-9]+), write "
                                   "([0-9]+), timeout ([0-9]+)")))
    r.failures += std::stol(m[1]) + std::stol(m[2]) + std::stol(m[3]) + std::stol(m[4]);
  return r;
}

}  // namespace bluegreen::bench
