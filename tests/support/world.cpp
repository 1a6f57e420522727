#include "tests/support/world.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <regex>
#include <thread>

#include "tests/support/ports.hpp"
#include "tests/support/sse.hpp"
#include "tests/support/tls_certificate.hpp"

namespace bluegreen::testing {

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* kNginx = "/usr/sbin/nginx";
const char* kHaproxy = "/usr/sbin/haproxy";

}  // namespace

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    poll(nullptr, 0, 10);  // the pause between two looks at the condition
  }
  return condition();
}

std::string world::git(const std::vector<std::string>& args, const std::filesystem::path& cwd) {
  std::vector<std::string> argv = {"/usr/bin/git", "-C", cwd.string(), "-c", "user.name=test",
                                   "-c", "user.email=test@example.com", "-c",
                                   "init.defaultBranch=main", "-c", "advice.detachedHead=false"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  if (r.status != 0) throw std::runtime_error("git failed: " + r.err);
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string world::commit_version(const std::string& version) {
  dir_.write("work/VERSION", version + "\n");
  git({"add", "VERSION"}, dir_ / "work");
  git({"commit", "-q", "-m", "release " + version}, dir_ / "work");
  git({"push", "-q", "origin", "main"}, dir_ / "work");
  return git({"rev-parse", "HEAD"}, dir_ / "work");
}

std::string world::sha_of(const std::string& ref) {
  return git({"rev-parse", ref + "^{commit}"}, dir_ / "work");
}

world::world(world_options options) : options_(std::move(options)) {
  std::vector<std::string> hosts = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"};
  std::string sshd_extra;
  if (options_.haproxy_host_without_socat) {
    std::filesystem::path bin = dir_ / "bin-without-socat";
    std::filesystem::create_directories(bin);
    for (const auto& e : std::filesystem::directory_iterator("/usr/bin"))
      if (e.path().filename() != "socat")
        std::filesystem::create_symlink(e.path(), bin / e.path().filename());
    sshd_extra = "Match LocalAddress 127.0.0.2\n    SetEnv PATH=" + bin.string() + "\n";
  }
  sshd_ = std::make_unique<test_sshd>(hosts, "", sshd_extra);

  // The app's repository: v1 released, main moves on from there.
  std::filesystem::create_directories(dir_ / "work");
  git({"init", "-q", "--bare", (dir_ / "origin.git").string()}, dir_.path());
  git({"init", "-q"}, dir_ / "work");
  git({"remote", "add", "origin", (dir_ / "origin.git").string()}, dir_ / "work");
  commit_version("1.0.0");
  git({"tag", "v1"}, dir_ / "work");
  git({"push", "-q", "origin", "v1"}, dir_ / "work");

  for (const auto& h : hosts) {
    std::filesystem::create_directories(host_dir(h));
    git({"clone", "-q", (dir_ / "origin.git").string(), (host_dir(h) / "app").string()}, dir_.path());
    git({"checkout", "-q", "--detach", "v1"}, host_dir(h) / "app");
  }
  start_apps(hosts);

  // nginx, routing to blue as an operator would set it up by hand.
  std::filesystem::create_directories(dir_ / "nginx/tmp");
  dir_.write("nginx/upstream.conf",
             "upstream demo {\n    server 127.0.0.2:" + std::to_string(app_port_) + ";\n}\n");
  std::string n = (dir_ / "nginx").string();
  std::string nginx_args = "-e " + n + "/error.log -p " + n + " -c " + n + "/nginx.conf";
  std::string root = dir_.path().string();
  dir_.write("reload.sh", "#!/bin/sh\n[ -e " + root + "/slow-reload ] && " + marker_.assignment() + " sleep 600\n"
                          "if [ -e " + root + "/reload-fails ]; then echo reload refused >&2; exit 1; fi\n"
                          "exec " + kNginx + " " + nginx_args + " -s reload\n");
  // The command backend's operator scripts, routing through the same file.
  std::string port = std::to_string(app_port_);
  dir_.write("route.sh",
             "#!/bin/sh\nset -e\n"
             "if [ -e " + root + "/route-fails ]; then echo route refused >&2; exit 3; fi\n"
             // Two switches at once would be a bug: the lock notes any overlap.
             "exec 9>>" + root + "/route.lock\n"
             "if ! flock -n 9; then echo \"$$ overlapped\" >> " + root + "/route-overlap; flock 9; fi\n"
             "echo \"$1\" >> " + root + "/route-entered\n"
             // A test holding the gate file keeps the script here.
             "if [ -e " + root + "/route-hold ]; then flock -s " + root + "/route-hold true; fi\n"
             "case \"$1\" in\n"
             "  blue) servers=\"127.0.0.2:" + port + "\" ;;\n"
             "  green) servers=\"127.0.0.3:" + port + " 127.0.0.4:" + port + " 127.0.0.5:" + port + "\" ;;\n"
             "  *) echo \"no such colour: $1\" >&2; exit 2 ;;\n"
             "esac\n"
             "{ echo 'upstream demo {'; for s in $servers; do echo \"    server $s;\"; done; echo '}'; } > " +
             n + "/upstream.conf.new\n"
             "mv " + n + "/upstream.conf.new " + n + "/upstream.conf\n"
             "exec " + root + "/reload.sh\n");
  dir_.write("current.sh", "#!/bin/sh\n"
                           "if [ -e " + root + "/current-garbage ]; then echo maybe; exit 0; fi\n"
                           "answer=$(if grep -q '127.0.0.2:' " + n + "/upstream.conf; then echo blue; else echo green; fi)\n"
                           // With a gate file, the first reading after it appeared waits
                           // there and then answers what it read before waiting.
                           "if [ -e " + root + "/current-hold ] && mkdir " + root + "/current-held 2>/dev/null; then\n"
                           "  touch " + root + "/current-waiting; flock -s " + root + "/current-hold true\n"
                           "fi\n"
                           "echo $answer\n");
  for (const char* script : {"reload.sh", "route.sh", "current.sh"})
    std::filesystem::permissions(dir_ / script, std::filesystem::perms::owner_all);
  if (options_.haproxy) {
    start_haproxy("haproxy", haproxy_, lb_port_);
    if (options_.two_haproxy) start_haproxy("haproxy2", haproxy2_, lb2_port_);
  } else if (options_.digitalocean) {
    start_digitalocean();
  } else {
    start_nginx("nginx", nginx_, lb_port_);
  }
  if (options_.nginx_helper) {
    nginx_helper_ = std::make_unique<child_process>(std::vector<std::string>{
        "/usr/bin/systemd-socket-activate", "--accept", "--inetd", "-l",
        root + "/nginx-helper.sock", "--", BLUEGREEN_SOURCE_DIR "/tools/nginx_control/nginx-control-server",
        kNginx, "-e", n + "/error.log", "-p", n, "-c", n + "/nginx.conf"});
    if (!nginx_helper_->wait_for_stderr("Listening on", 10s))
      throw std::runtime_error("systemd-socket-activate did not listen: " +
                               nginx_helper_->stderr_text());
  }
  if (options_.two_nginx) {
    std::filesystem::create_directories(dir_ / "nginx2/tmp");
    dir_.write("nginx2/upstream.conf",
               "upstream demo {\n    server 127.0.0.2:" + std::to_string(app_port_) + ";\n}\n");
    start_nginx("nginx2", nginx2_, lb2_port_);
  }

  dir_.write("bluegreen.toml", config_text(options_));
  token_ = create_token("tester", "admin");
  start_daemon();
}

world::~world() {
  daemon_.reset();
  // What the daemon left running (a remote step after a SIGKILL, say) ends
  // with the test that started it.
  marker_.signal(SIGKILL);
  for (auto* nginx : {&nginx_, &nginx2_}) {
    if (!*nginx) continue;
    // SIGTERM: the master stops its workers before it exits (killing only
    // the master would leave workers holding the port).
    (*nginx)->signal(SIGTERM);
    (*nginx)->wait_exit(10s);
    nginx->reset();
  }
  for (auto* haproxy : {&haproxy_, &haproxy2_}) {
    if (!*haproxy) continue;
    // SIGTERM to the master stops its workers too.
    (*haproxy)->signal(SIGTERM);
    (*haproxy)->wait_exit(10s);
    haproxy->reset();
  }
  digitalocean_.reset();
  apps_.clear();
}

void world::start_digitalocean() {
  std::filesystem::create_directories(dir_ / "do-tls");
  auto cert = make_self_signed(dir_ / "do-tls", "api", {"localhost"}, {"127.0.0.1"});
  dir_.write("do-token", "dop_v1_" + std::to_string(::getpid()) + "f00dfeedc0ffee\n");
  std::string port = std::to_string(app_port_);
  digitalocean_ = std::make_unique<child_process>(std::vector<std::string>{
      BLUEGREEN_DO_TEST_SERVER, "--certificate", cert.certificate.string(), "--key",
      cert.key.string(), "--token-file", (dir_ / "do-token").string(), "--reserved-ip",
      options_.digitalocean_held_ip, "--forward", "127.0.0.1:0", "--droplet",
      std::to_string(kBlueDroplet) + "=127.0.0.2:" + port + "=blue-production", "--droplet",
      std::to_string(kGreenDroplet) + "=127.0.0.3:" + port + "=green-production", "--droplet",
      "3164446=127.0.0.4:" + port + "=staging", "--assigned",
      std::to_string(kBlueDroplet), "--action-time",
      std::to_string(options_.digitalocean_action_ms)});
  auto line = digitalocean_->wait_for_stdout("digitalocean-test-server:", 20s);
  if (!line)
    throw std::runtime_error("the DigitalOcean test server did not start: " +
                             digitalocean_->stderr_text());
  std::smatch m;
  std::regex_search(*line, m,
                    std::regex("api https://127\\.0\\.0\\.1:([0-9]+) control "
                               "http://127\\.0\\.0\\.1:([0-9]+) .* forward 127\\.0\\.0\\.1:([0-9]+)"));
  if (m.size() != 4) throw std::runtime_error("unexpected test server line: " + *line);
  digitalocean_api_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
  digitalocean_control_port_ = static_cast<std::uint16_t>(std::stoi(m[2]));
  lb_port_ = static_cast<std::uint16_t>(std::stoi(m[3]));
}

json world::digitalocean(const std::string& method, const std::string& path,
                         const std::string& body) {
  auto r = http_request(digitalocean_control_port_, method, path, "", body);
  if (!r || r->status != 200)
    throw std::runtime_error("test server control " + path + ": " + (r ? r->body : "no answer"));
  return json::parse(r->body);
}

void world::start_apps(const std::vector<std::string>& hosts) {
  // One port on every host (a colour's hosts share its URL's port); another
  // program may take it before the apps bind it: then all move to another.
  for (int attempt = 1;; ++attempt) {
    app_port_ = free_port(hosts);
    std::string failure;
    for (const auto& h : hosts) {
      std::string colour = h == "127.0.0.2" ? "blue" : "green";
      auto app = std::make_unique<child_process>(std::vector<std::string>{
          "/usr/bin/python3", BLUEGREEN_SOURCE_DIR "/examples/demo-app/app.py", "--listen",
          h + ":" + std::to_string(app_port_), "--identity", colour + "-production", "--colour",
          colour, "--checkout", (host_dir(h) / "app").string(), "--state-dir",
          host_dir(h).string()});
      if (!app->wait_for_stdout("demo app", 20s)) {
        failure = "demo app on " + h + " did not start: " + app->stderr_text();
        break;
      }
      apps_.push_back(std::move(app));
    }
    if (failure.empty()) return;
    apps_.clear();
    if (failure.find("Address already in use") == std::string::npos || attempt == 5)
      throw std::runtime_error(failure);
  }
}

void world::start_nginx(const std::string& name, std::unique_ptr<child_process>& nginx,
                        std::uint16_t& port) {
  std::string n = (dir_ / name).string();
  std::string root = dir_.path().string();
  for (int attempt = 1;; ++attempt) {
    port = free_port({"127.0.0.1"});
    std::filesystem::remove(dir_ / name / "error.log");
    // /world-root names this world: an answer from another program that
    // took the port in the meantime does not pass for ours.
    dir_.write(name + "/nginx.conf",
               "worker_processes 1;\npid " + n + "/nginx.pid;\nerror_log " + n + "/error.log;\n"
               "events { worker_connections 512; }\n"
               "http {\n  access_log off;\n"
               "  client_body_temp_path " + n + "/tmp/body;\n  proxy_temp_path " + n + "/tmp/proxy;\n"
               "  fastcgi_temp_path " + n + "/tmp/fastcgi;\n  uwsgi_temp_path " + n + "/tmp/uwsgi;\n"
               "  scgi_temp_path " + n + "/tmp/scgi;\n"
               "  include " + n + "/upstream.conf;\n"
               "  server {\n    listen 127.0.0.1:" + std::to_string(port) + ";\n"
               "    location = /world-root { return 200 \"" + root + "\"; }\n"
               "    location / { proxy_pass http://demo; proxy_next_upstream error timeout; }\n  }\n}\n");
    nginx = std::make_unique<child_process>(std::vector<std::string>{
        kNginx, "-e", n + "/error.log", "-p", n, "-c", n + "/nginx.conf", "-g", "daemon off;"});
    bool up = false;
    eventually([&] {
      try {
        auto r = http_request(port, "GET", "/world-root");
        up = r && r->body == root;
      } catch (const std::exception&) {
      }
      return up || nginx->wait_exit(0ms).has_value();
    });
    if (up) return;
    std::string log = read_file(dir_ / name / "error.log") + nginx->stderr_text();
    nginx.reset();
    if (log.find("Address already in use") == std::string::npos || attempt == 5)
      throw std::runtime_error("nginx did not start: " + log);
  }
}

void world::start_haproxy(const std::string& name, std::unique_ptr<child_process>& haproxy,
                          std::uint16_t& lb_port) {
  std::string h = (dir_ / name).string();
  std::string root = dir_.path().string();
  std::filesystem::create_directories(dir_ / name / "state");
  std::string port = std::to_string(app_port_);
  for (int attempt = 1;; ++attempt) {
    lb_port = free_port({"127.0.0.1"});
    // The TCP admin socket is the first HAProxy's.
    bool first = &haproxy == &haproxy_;
    if (first) haproxy_tcp_port_ = free_port({"127.0.0.1"});
    std::string servers = "    server blue1 127.0.0.2:" + port + " check inter 100 weight 100\n";
    for (int i = 0; i < 3; ++i)
      servers += "    server green" + std::to_string(i + 1) + " 127.0.0." + std::to_string(3 + i) +
                 ":" + port + " check inter 100 weight 0\n";
    // /world-root names this world, as with nginx.
    dir_.write(name + "/haproxy.cfg",
               "global\n    stats socket " + h + "/admin.sock mode 600 level " +
               options_.haproxy_socket_level + "\n"
               "    stats socket " + h + "/test.sock mode 600 level admin\n" +
               (first ? "    stats socket ipv4@127.0.0.1:" + std::to_string(haproxy_tcp_port_) +
                            " level admin\n"
                      : std::string()) +
               "    server-state-base " + h + "/state\n"
               "defaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n"
               "    timeout server 30s\n    load-server-state-from-file local\n"
               "frontend web\n    bind 127.0.0.1:" + std::to_string(lb_port) + "\n"
               "    http-request return status 200 content-type text/plain string \"" + root +
               "\" if { path /world-root }\n    default_backend demo\n"
               "backend demo\n    balance roundrobin\n    server-state-file-name demo\n"
               "    option httpchk GET /health\n" + servers);
    haproxy = std::make_unique<child_process>(
        std::vector<std::string>{kHaproxy, "-W", "-f", h + "/haproxy.cfg"});
    bool up = false;
    eventually([&] {
      try {
        auto r = http_request(lb_port, "GET", "/world-root");
        up = r && r->body == root;
      } catch (const std::exception&) {
      }
      return up || haproxy->wait_exit(0ms).has_value();
    });
    if (up) return;
    std::string log = haproxy->stderr_text();
    haproxy.reset();
    if (log.find("cannot bind") == std::string::npos || attempt == 5)
      throw std::runtime_error("haproxy did not start: " + log);
  }
}

std::string world::haproxy_command(const std::string& line, int lb) const {
  std::string path = (dir_ / (lb == 2 ? "haproxy2/test.sock" : "haproxy/test.sock")).string();
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to " + path);
  }
  std::string request = line + "\n";
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    throw std::runtime_error("cannot write to " + path);
  }
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) reply.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return reply;
}

void world::reload_haproxy() {
  auto pid_of_worker = [this] {
    std::string info = haproxy_command("show info");
    auto at = info.find("\nPid: ");
    return at == std::string::npos ? std::string() : info.substr(at + 6, info.find('\n', at + 1) - at - 6);
  };
  std::string before = pid_of_worker();
  haproxy_->signal(SIGUSR2);
  bool reloaded = eventually([&] {
    try {
      std::string now = pid_of_worker();
      return !now.empty() && now != before;
    } catch (const std::exception&) {
      return false;
    }
  });
  if (!reloaded) throw std::runtime_error("haproxy did not reload: " + haproxy_->stderr_text());
}

std::string world::config_text(const world_options& o) const {
  std::string r = dir_.path().string();
  std::string port = std::to_string(app_port_);
  std::string ssh_port = std::to_string(sshd_->port());
  std::string user = sshd_->user();
  std::string n = r + "/nginx";
  auto host = [&](const std::string& a) { return "\"" + user + "@" + a + ":" + ssh_port + "\""; };
  std::string green;
  for (const auto& g : green_hosts()) green += (green.empty() ? "" : ", ") + host(g);
  std::string traffic =
      o.haproxy
          ? "  [app.traffic]\n  backend = \"haproxy\"\n  socket = \"" +
                (o.haproxy_tcp_socket ? "127.0.0.1:" + std::to_string(haproxy_tcp_port_)
                                      : r + "/haproxy/admin.sock") +
                "\"\n  backend_name = \"demo\"\n  blue_servers = [\"blue1\"]\n"
                "  green_servers = [\"green1\", \"green2\", \"green3\"]\n"
                "  state_file = \"" + r + "/haproxy/state/demo\"\n" +
                (o.haproxy_over_ssh ? "  host = " + host("127.0.0.2") + "\n" : std::string())
      : o.digitalocean
          ? "  [app.traffic]\n  backend = \"digitalocean\"\n"
            "  reserved_ip = \"" + o.digitalocean_reserved_ip + "\"\n"
            "  token = { file = \"" + r + "/do-token\" }\n"
            "  blue_droplet_id = " + std::to_string(kBlueDroplet) + "\n"
            "  green_droplet_id = " + std::to_string(kGreenDroplet) + "\n"
            "  api_url = \"https://127.0.0.1:" + std::to_string(digitalocean_api_port_) + "\"\n"
            "  ca_file = \"" + r + "/do-tls/api.crt\"\n"
            "  poll_interval = \"" + o.digitalocean_poll_interval + "\"\n"
            "  switch_timeout = \"" + o.digitalocean_switch_timeout + "\"\n"
      : o.command_backend
          ? "  [app.traffic]\n  backend = \"command\"\n"
            "  switch_command = \"" + r + "/route.sh {colour}\"\n"
            "  current_command = \"" + r + "/current.sh\"\n"
          : o.nginx_helper
          ? "  [app.traffic]\n  backend = \"nginx\"\n  upstream_file = \"" + n + "/upstream.conf\"\n"
            "  upstream_name = \"demo\"\n"
            "  test_command = \"" BLUEGREEN_NGINX_CONTROL " test --socket " + r + "/nginx-helper.sock\"\n"
            "  reload_command = \"" BLUEGREEN_NGINX_CONTROL " reload --socket " + r + "/nginx-helper.sock\"\n"
          : "  [app.traffic]\n  backend = \"nginx\"\n  upstream_file = \"" + n + "/upstream.conf\"\n"
            "  upstream_name = \"demo\"\n"
            "  test_command = \"test ! -e " + r + "/nginx-test-fails && " + kNginx + " -q -t -e " + n +
            "/error.log -p " + n + " -c " + n + "/nginx.conf\"\n"
            "  reload_command = \"" + r + "/reload.sh\"\n" +
            (o.nginx_over_ssh && !o.two_nginx ? "  host = " + host("127.0.0.2") + "\n" : std::string());
  if (o.haproxy && o.two_haproxy) {
    traffic =
        "  [app.traffic]\n  backend = \"haproxy\"\n  backend_name = \"demo\"\n"
        "  blue_servers = [\"blue1\"]\n  green_servers = [\"green1\", \"green2\", \"green3\"]\n";
    for (const std::string name : {"haproxy", "haproxy2"})
      traffic += "  [[app.traffic.load_balancer]]\n  name = \"" +
                 std::string(name == "haproxy" ? "lb1" : "lb2") + "\"\n  socket = \"" + r + "/" +
                 name + "/admin.sock\"\n  state_file = \"" + r + "/" + name + "/state/demo\"\n";
  }
  if (o.two_nginx) {
    std::string n2 = r + "/nginx2";
    traffic = "  [app.traffic]\n  backend = \"nginx\"\n  upstream_name = \"demo\"\n"
              "  [[app.traffic.load_balancer]]\n  name = \"lb1\"\n"
              "  upstream_file = \"" + n + "/upstream.conf\"\n"
              "  test_command = \"test ! -e " + r + "/nginx-test-fails && " + kNginx + " -q -t -e " + n +
              "/error.log -p " + n + " -c " + n + "/nginx.conf\"\n"
              "  reload_command = \"" + r + "/reload.sh\"\n"
              "  [[app.traffic.load_balancer]]\n  name = \"lb2\"\n"
              "  upstream_file = \"" + n2 + "/upstream.conf\"\n"
              "  test_command = \"test ! -e " + r + "/nginx2-test-fails && " + kNginx + " -q -t -e " + n2 +
              "/error.log -p " + n2 + " -c " + n2 + "/nginx.conf\"\n"
              "  reload_command = \"" + kNginx + " -e " + n2 + "/error.log -p " + n2 + " -c " + n2 +
              "/nginx.conf -s reload\"\n" +
              (o.nginx_over_ssh ? "  host = " + host("127.0.0.2") + "\n" : std::string());
  }
  return "[server]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"" + r + "/state\"\nlog_level = \"debug\"\n"
         "stop_timeout = \"" + o.stop_timeout + "\"\n" + o.server_extra + "\n"
         "[ssh]\nidentity = \"" + sshd_->user_key().string() + "\"\nknown_hosts = \"" +
         sshd_->known_hosts().string() + "\"\nconnect_timeout = \"10s\"\n" +
         (o.ssh_workers ? "workers = " + std::to_string(o.ssh_workers) + "\n" : std::string()) +
         (o.reality_interval.empty() ? std::string()
                                     : "\n[reality]\ninterval = \"" + o.reality_interval + "\"\n") +
         "\n"
         "[[app]]\nname = \"demo\"\npublic_url = \"http://127.0.0.1:" + std::to_string(lb_port_) +
         "\"\nidentity_path = \"/hostname\"\n"
         "  [app.blue]\n  hosts = [" + host("127.0.0.2") + "]\n  url = \"http://127.0.0.2:" + port +
         "\"\n  identity = \"blue-production\"\n"
         "  [app.green]\n  hosts = [" + green + "]\n  url = \"http://127.0.0.3:" + port +
         "\"\n  identity = \"green-production\"\n"
         "  [app.deploy]\n  steps = [\n"
         "    \"cd " + r + "/hosts/{host}/app && git fetch -q origin && git checkout -q --detach {sha} && echo now at $(cat VERSION)\",\n"
         "    \"if [ -e " + r + "/hosts/{host}/fail-deploy ]; then echo refusing to deploy on {host} >&2; exit 1; fi\",\n"
         "    \"if [ -e " + r + "/hosts/{host}/slow-deploy ]; then echo sleeping on {host}; " + marker_.assignment() + " sleep 600; fi; "
         "if [ -e " + r + "/deploy-hold ]; then echo holding on {host}; flock -s " + r + "/deploy-hold true; echo released on {host}; fi\",\n"
         "  ]\n"
         "  resolve = \"cd " + r + "/hosts/{host}/app && git fetch -q --tags origin && "
         "{ git rev-parse -q --verify origin/{ref}^{commit} || git rev-parse --verify {ref}^{commit}; }\"\n"
         "  timeout = \"5m\"\n"
         "  [[app.check]]\n  path = \"/health\"\n  retries = 20\n  interval = \"100ms\"\n  timeout = \"2s\"\n"
         "  [[app.check]]\n  path = \"/hostname\"\n  expect_body = \"{identity}\"\n  retries = 5\n  interval = \"100ms\"\n"
         "  [app.promote]\n  mode = \"" + o.promote_mode + "\"\n  watch = \"" + o.watch +
         "\"\n  watch_interval = \"100ms\"\n  failure_threshold = 3\n" +
         traffic +
         "  [app.tasks]\n  migrate = { command = \"echo migrated {colour} >> " + r +
         "/hosts/{host}/migrations\", on = \"idle\", hosts = \"one\" }\n" + o.extra_config;
}

std::string world::ssh_host(const std::string& address) const {
  return sshd_->user() + "@" + address + ":" + std::to_string(sshd_->port());
}

std::string world::create_token(const std::string& name, const std::string& scope) {
  auto r = run_command({BLUEGREEN_BINARY, "token", "create", name, "--scope", scope, "--config",
                        (dir_ / "bluegreen.toml").string()});
  if (r.status != 0) throw std::runtime_error("token create failed: " + r.err);
  return r.out.substr(0, r.out.find('\n'));
}

void world::start_daemon() {
  daemon_ = std::make_unique<child_process>(
      std::vector<std::string>{BLUEGREEN_BINARY, "run", "--config",
                               (dir_ / "bluegreen.toml").string()},
      std::vector<std::string>{marker_.assignment()});
  auto line = daemon_->wait_for_stderr("listening on", 60s);
  if (!line) throw std::runtime_error("bluegreend did not start: " + daemon_->stderr_text());
  std::smatch m;
  std::regex_search(*line, m, std::regex("127\\.0\\.0\\.1:([0-9]+)"));
  api_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
  // The daemon listens before its apps are reconciled with the load
  // balancer; tests start from a reconciled daemon, as after today's starts.
  if (!daemon_->wait_for_stderr("recovery finished", 60s))
    throw std::runtime_error("bluegreend did not finish its recovery: " + daemon_->stderr_text());
}

void world::kill_daemon() {
  daemon_->signal(SIGKILL);
  daemon_->wait_exit(20s);
  daemon_.reset();
}

world::reply world::api(const std::string& method, const std::string& path,
                        const std::string& body) {
  auto r = http_request(api_port_, method, path, token_, body);
  if (!r) throw std::runtime_error(method + " " + path + ": no answer");
  reply out;
  out.status = r->status;
  out.body = r->body.empty() ? json() : json::parse(r->body, nullptr, false);
  return out;
}

json world::follow(std::int64_t id, std::function<void(const json&)> on_line,
                   std::chrono::seconds deadline) {
  http_connection conn("127.0.0.1", api_port_);
  conn.send_raw("GET /api/v1/deployments/" + std::to_string(id) +
                "/log?follow=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ + "\r\n\r\n");
  std::string stream = conn.read_until_closed(deadline);
  json end;
  size_t pos = 0;
  while ((pos = stream.find("event: ", pos)) != std::string::npos) {
    size_t line_end = stream.find('\n', pos);
    std::string name = stream.substr(pos + 7, line_end - pos - 7);
    size_t data = stream.find("data: ", line_end);
    size_t data_end = stream.find('\n', data);
    json value = json::parse(stream.substr(data + 6, data_end - data - 6), nullptr, false);
    if (name == "line" && on_line) on_line(value);
    if (name == "end") end = value;
    pos = data_end;
  }
  if (end.is_null()) throw std::runtime_error("the log of #" + std::to_string(id) + " did not end");
  return end;
}

std::string world::log_text(std::int64_t id) {
  auto r = api("GET", "/api/v1/deployments/" + std::to_string(id) + "/log?limit=10000");
  std::string out;
  for (const auto& l : r.body["lines"])
    out += (l["host"].is_null() ? std::string("-") : l["host"].get<std::string>()) + " " +
           l["stream"].get<std::string>() + " " + l["text"].get<std::string>() + "\n";
  return out;
}

json world::finished_event(std::int64_t id) {
  http_connection conn("127.0.0.1", api_port_);
  conn.send_raw("GET /api/v1/events/stream?after=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                token_ + "\r\n\r\n");
  auto head = conn.read_reply();
  if (!head || head->status != 200) throw std::runtime_error("the event stream did not open");
  json found;
  auto finished = [&](const std::string& text) {
    for (const auto& m : parse_sse(text).messages)
      if (m.event == "operation.finished" && m.data["operation_id"] == id) found = m.data;
    return !found.is_null();
  };
  if (!conn.read_until(finished, std::chrono::seconds(60)))
    throw std::runtime_error("no operation.finished of #" + std::to_string(id) + " in the stream");
  return found;
}

json world::deploy(const std::string& ref, bool force) {
  json body = {{"ref", ref}};
  if (force) body["force"] = true;
  auto r = api("POST", "/api/v1/apps/demo/deployments", body.dump());
  if (r.status != 202) throw std::runtime_error("deploy refused: " + r.body.dump());
  return follow(r.body["operation"]["id"]);
}

json world::switch_to(const std::string& body) {
  auto r = api("POST", "/api/v1/apps/demo/switch", body);
  if (r.status != 202) throw std::runtime_error("switch refused: " + r.body.dump());
  return follow(r.body["operation"]["id"]);
}

json world::rollback() {
  auto r = api("POST", "/api/v1/apps/demo/rollback");
  if (r.status != 202) throw std::runtime_error("rollback refused: " + r.body.dump());
  return follow(r.body["operation"]["id"]);
}

std::string world::through_lb(const std::string& path, int lb) {
  auto r = http_request(lb_port(lb), "GET", path);
  if (!r) return "";
  std::string body = r->body;
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return body;
}

std::string world::upstream_colour(int lb) const {
  std::string text = read_file(upstream_file(lb));
  bool blue = text.find("127.0.0.2:") != std::string::npos;
  bool green = text.find("127.0.0.3:") != std::string::npos;
  return blue && green ? "split" : blue ? "blue" : green ? "green" : "none";
}

}  // namespace bluegreen::testing

namespace bluegreen::testing {

std::vector<pid_t> world::nginx_workers(int lb) const {
  const auto& master = lb == 2 ? nginx2_ : nginx_;
  std::vector<pid_t> out;
  if (!master) return out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    // /proc/PID/stat: "pid (comm) state ppid ...", comm may hold spaces.
    std::string stat = proc_file(name, "stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    if (rest >> state >> ppid && ppid == master->pid()) out.push_back(std::stoi(name));
  }
  return out;
}

bool world::wait_workers_gone(const std::vector<pid_t>& old,
                              std::chrono::milliseconds deadline) const {
  return eventually(
      [&] {
        for (pid_t pid : old)
          if (::kill(pid, 0) == 0 && proc_file(std::to_string(pid), "stat").find(") Z") ==
                                          std::string::npos)
            return false;
        return true;
      },
      deadline);
}

void world::route_by_hand(int lb, const std::string& colour) {
  std::string port = std::to_string(app_port_);
  std::string servers;
  for (const auto& h : colour == "blue" ? blue_hosts() : green_hosts())
    servers += "    server " + h + ":" + port + ";\n";
  std::string name = lb == 2 ? "nginx2" : "nginx";
  dir_.write(name + "/upstream.conf", "upstream demo {\n" + servers + "}\n");
  std::string n = (dir_ / name).string();
  auto r = run_command({kNginx, "-e", n + "/error.log", "-p", n, "-c", n + "/nginx.conf", "-s",
                        "reload"});
  if (r.status != 0) throw std::runtime_error("nginx -s reload failed: " + r.err);
}

}  // namespace bluegreen::testing
