// API read benchmark, in one run on this machine: bluegreend with 60 apps
// (command backend whose scripts answer at once; no host is ever
// contacted) and a read token, beside nginx serving the same JSON as a
// static file:
//  (a) `wrk -c64 -t2 -d10s` on GET /api/v1/apps: requests/s and latency,
//      against bluegreend and against nginx;
//  (b) GET /healthz latency (p50, p99) from a client asking every 2 ms on
//      one keep-alive connection, with bluegreend idle and while (a) runs
//      against it.
//
//   build/bench/bench/api_throughput [seconds] [path/to/bluegreend]
// (another binary, e.g. an older build, to compare; default: this build's)
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <regex>
#include <stdexcept>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace bluegreen::testing;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr int kApps = 60;

std::string config_text(const temp_dir& dir) {
  // [server] and [ssh] as in the example, on an ephemeral port.
  std::string example = read_file(BLUEGREEN_SOURCE_DIR "/examples/bluegreen.toml");
  std::string text = example.substr(0, example.find("[[app]]"));
  text = std::regex_replace(text, std::regex("listen = \"127.0.0.1:8765\""),
                            "listen = \"127.0.0.1:0\"");
  text = std::regex_replace(text, std::regex("state_dir = \"/var/lib/bluegreen\""),
                            "state_dir = \"" + (dir / "state").string() + "\"");
  std::string r = dir.path().string();
  for (int i = 0; i < kApps; ++i) {
    std::string n = std::to_string(i);
    text += "[[app]]\nname = \"app" + n + "\"\npublic_url = \"http://127.0.0.1:9/" + n +
            "\"\n"
            "  [app.blue]\n  hosts = [\"deploy@10.255.0.2\"]\n  url = \"http://10.255.0.2:8000\"\n"
            "  identity = \"blue-" +
            n +
            "\"\n"
            "  [app.green]\n  hosts = [\"deploy@10.255.0.3\"]\n  url = \"http://10.255.0.3:8000\"\n"
            "  identity = \"green-" +
            n +
            "\"\n"
            "  [app.deploy]\n  steps = [\"true\"]\n  resolve = \"git rev-parse {ref}\"\n"
            "  [app.traffic]\n  backend = \"command\"\n"
            "  switch_command = \"" +
            r +
            "/route.sh {colour}\"\n"
            "  current_command = \"" +
            r + "/current.sh\"\n\n";
  }
  return text;
}

struct wrk_result {
  double requests_per_s = 0;
  std::string latency_avg, latency_max;
  long errors = 0;  // non-2xx answers plus socket errors
};

wrk_result run_wrk(std::uint16_t port, const std::string& token, int seconds) {
  std::vector<std::string> argv = {"/usr/bin/wrk", "-t2", "-c64",
                                   "-d" + std::to_string(seconds) + "s"};
  if (!token.empty()) {
    argv.push_back("-H");
    argv.push_back("Authorization: Bearer " + token);
  }
  argv.push_back("http://127.0.0.1:" + std::to_string(port) + "/api/v1/apps");
  child_process wrk(argv);
  if (!wrk.wait_exit(std::chrono::seconds(seconds + 30)))
    throw std::runtime_error("wrk did not end");
  std::string out = wrk.stdout_text();
  if (std::getenv("BENCH_VERBOSE")) std::fprintf(stderr, "%s\n", out.c_str());
  wrk_result r;
  std::smatch m;
  if (std::regex_search(out, m, std::regex("Requests/sec:\\s+([0-9.]+)")))
    r.requests_per_s = std::stod(m[1]);
  if (std::regex_search(out, m, std::regex("Latency\\s+(\\S+)\\s+\\S+\\s+(\\S+)"))) {
    r.latency_avg = m[1];
    r.latency_max = m[2];
  }
  if (std::regex_search(out, m, std::regex("Non-2xx or 3xx responses: ([0-9]+)")))
    r.errors += std::stol(m[1]);
  if (std::regex_search(
          out, m,
          std::regex(
              "Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)")))
    r.errors += std::stol(m[1]) + std::stol(m[2]) + std::stol(m[3]) + std::stol(m[4]);
  return r;
}

struct latency {
  double p50 = 0, p99 = 0, max = 0;
  size_t samples = 0;
};

// GET /healthz on one keep-alive connection every 2 ms until `stop`.
latency probe_healthz(std::uint16_t port, const std::atomic<bool>& stop) {
  http_connection c("127.0.0.1", port);
  std::vector<double> ms;
  while (!stop) {
    auto start = clock_type::now();
    if (!c.send_raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
      throw std::runtime_error("healthz: send failed");
    auto reply = c.read_reply(std::chrono::seconds(30));
    if (!reply || reply->status != 200) throw std::runtime_error("healthz: no answer");
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
    std::this_thread::sleep_for(2ms);
  }
  std::sort(ms.begin(), ms.end());
  latency l;
  l.samples = ms.size();
  if (ms.empty()) return l;
  l.p50 = ms[ms.size() / 2];
  l.p99 = ms[std::min(ms.size() - 1, static_cast<size_t>(ms.size() * 0.99))];
  l.max = ms.back();
  return l;
}

latency healthz_while(std::uint16_t port, const std::function<void()>& work) {
  std::atomic<bool> stop{false};
  latency result;
  std::exception_ptr failed;
  std::thread prober([&] {
    try {
      result = probe_healthz(port, stop);
    } catch (...) {
      failed = std::current_exception();
    }
  });
  work();
  stop = true;
  prober.join();
  if (failed) std::rethrow_exception(failed);
  return result;
}

std::uint16_t port_from(const std::string& line) {
  std::smatch m;
  if (!std::regex_search(line, m, std::regex("http://127\\.0\\.0\\.1:([0-9]+)")))
    throw std::runtime_error("no port in: " + line);
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

std::unique_ptr<child_process> start_nginx(const temp_dir& dir, std::uint16_t& port) {
  std::string n = (dir / "nginx").string();
  for (int attempt = 1;; ++attempt) {
    port = free_port({"127.0.0.1"});
    // One worker, as bluegreend has one io thread. Started by root, the
    // worker stays root: the file is in this run's owner-only directory.
    dir.write("nginx/nginx.conf",
              std::string(::geteuid() == 0 ? "user root;\n" : "") + "worker_processes 1;\npid " +
                  n + "/nginx.pid;\nerror_log " + n +
                  "/error.log;\n"
                  "events { worker_connections 512; }\n"
                  "http {\n  access_log off;\n"
                  "  client_body_temp_path " +
                  n + "/tmp/body;\n  proxy_temp_path " + n +
                  "/tmp/proxy;\n"
                  "  fastcgi_temp_path " +
                  n + "/tmp/fastcgi;\n  uwsgi_temp_path " + n +
                  "/tmp/uwsgi;\n"
                  "  scgi_temp_path " +
                  n +
                  "/tmp/scgi;\n"
                  "  server {\n    listen 127.0.0.1:" +
                  std::to_string(port) +
                  ";\n"
                  "    location = /api/v1/apps { default_type application/json; alias " +
                  n + "/apps.json; }\n  }\n}\n");
    auto nginx = std::make_unique<child_process>(
        std::vector<std::string>{"/usr/sbin/nginx", "-e", n + "/error.log", "-p", n, "-c",
                                 n + "/nginx.conf", "-g", "daemon off;"});
    auto deadline = clock_type::now() + 20s;
    while (clock_type::now() < deadline) {
      try {
        auto r = http_request(port, "GET", "/api/v1/apps");
        if (r && r->status == 200) return nginx;
      } catch (const std::exception&) {  // not listening yet
      }
      if (nginx->wait_exit(0ms)) break;
      std::this_thread::sleep_for(10ms);
    }
    std::string log = read_file(dir / "nginx/error.log") + nginx->stderr_text();
    if (log.find("Address already in use") == std::string::npos || attempt == 5)
      throw std::runtime_error("nginx did not start: " + log);
  }
}

}  // namespace

int main(int argc, char** argv) try {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
  std::string binary = argc > 2 ? argv[2] : BLUEGREEN_BINARY;
  temp_dir dir;
  dir.write("route.sh", "#!/bin/sh\nexit 0\n");
  dir.write("current.sh", "#!/bin/sh\necho blue\n");
  for (const char* script : {"route.sh", "current.sh"})
    std::filesystem::permissions(dir / script, std::filesystem::perms::owner_all);
  for (const char* d : {"nginx/tmp", "state"}) std::filesystem::create_directories(dir / d);
  auto config = dir.write("bluegreen.toml", config_text(dir));

  auto made =
      run_command({binary, "token", "create", "bench", "--scope", "read", "--config", config});
  if (made.status != 0) throw std::runtime_error("token create failed: " + made.err);
  std::string token = made.out.substr(0, made.out.find('\n'));

  child_process daemon({binary, "--config", config});
  auto line = daemon.wait_for_stderr("listening on", 60s);
  if (!line) throw std::runtime_error("bluegreend did not start: " + daemon.stderr_text());
  std::uint16_t api_port = port_from(*line);
  auto apps = http_request(api_port, "GET", "/api/v1/apps", token);
  if (!apps || apps->status != 200) throw std::runtime_error("GET /api/v1/apps failed");
  dir.write("nginx/apps.json", apps->body);

  std::uint16_t nginx_port = 0;
  auto nginx = start_nginx(dir, nginx_port);
  if (http_request(nginx_port, "GET", "/api/v1/apps")->body != apps->body)
    throw std::runtime_error("nginx serves other bytes than bluegreend");

  latency idle = healthz_while(api_port, [] { std::this_thread::sleep_for(3s); });
  wrk_result daemon_run;
  latency loaded = healthz_while(api_port, [&] { daemon_run = run_wrk(api_port, token, seconds); });
  wrk_result nginx_run = run_wrk(nginx_port, "", seconds);

  std::printf("GET /api/v1/apps, %d apps (%zu bytes), wrk -t2 -c64 -d%ds, loopback:\n", kApps,
              apps->body.size(), seconds);
  std::printf("    bluegreend           %9.0f requests/s   latency avg %8s  max %8s  errors %ld\n",
              daemon_run.requests_per_s, daemon_run.latency_avg.c_str(),
              daemon_run.latency_max.c_str(), daemon_run.errors);
  std::printf("    nginx, static file   %9.0f requests/s   latency avg %8s  max %8s  errors %ld\n",
              nginx_run.requests_per_s, nginx_run.latency_avg.c_str(),
              nginx_run.latency_max.c_str(), nginx_run.errors);
  std::printf("    ratio                %.2f of nginx\n",
              daemon_run.requests_per_s / nginx_run.requests_per_s);
  std::printf("GET /healthz on bluegreend, one keep-alive client every 2 ms:\n");
  std::printf(
      "    idle                 p50 %7.2f ms   p99 %7.2f ms   max %7.2f ms  (%zu requests)\n",
      idle.p50, idle.p99, idle.max, idle.samples);
  std::printf(
      "    while /apps is loaded p50 %7.2f ms   p99 %7.2f ms   max %7.2f ms  (%zu requests)\n",
      loaded.p50, loaded.p99, loaded.max, loaded.samples);
  std::printf("targets: /apps >= 5000 requests/s: %s; /healthz p99 under load < 10 ms: %s\n",
              daemon_run.requests_per_s >= 5000 ? "met" : "NOT met",
              loaded.p99 < 10 ? "met" : "NOT met");

  nginx->signal(SIGTERM);
  nginx->wait_exit(10s);
  daemon.signal(SIGTERM);
  daemon.wait_exit(30s);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "api_throughput: %s\n", e.what());
  return 1;
}
