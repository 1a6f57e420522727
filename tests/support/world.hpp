// A whole blue/green set-up on loopback for end-to-end tests: a real sshd
// serving the "hosts" 127.0.0.2 (blue) and 127.0.0.3-5 (green), each with
// its own git checkout of a demo repository and a demo app process, a real
// nginx as the load balancer whose upstream include starts on blue, and the
// real bluegreend binary with a token. Marker files let tests make a step,
// nginx -t, the reload or the command backend's scripts misbehave. Its
// processes carry a marker of their own, so tests running in parallel never
// see or end each other's.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/process_marker.hpp"
#include "tests/support/sshd.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::testing {

struct world_options {
  std::string promote_mode = "manual";
  std::string watch = "0s";
  std::string stop_timeout = "60s";
  // Reach nginx over SSH (traffic.host), as for a separate load balancer.
  bool nginx_over_ssh = false;
  // Route with the command backend: operator scripts (route.sh, current.sh)
  // that rewrite the same upstream file and reload the same nginx.
  bool command_backend = false;
  // ssh.workers (0: the default).
  unsigned ssh_workers = 0;
  // reality.interval, e.g. "100ms" or "0s" (empty: the default).
  std::string reality_interval{};
  // HAProxy (master-worker, as Debian runs it) is the load balancer instead
  // of nginx: backend "demo" with servers blue1 and green1-3, blue at weight
  // 100, green at 0, its server state kept in haproxy/state/demo.
  bool haproxy = false;
  // Reach HAProxy's admin socket over SSH (traffic.host), through socat.
  bool haproxy_over_ssh = false;
  // The load balancer host of haproxy_over_ssh (127.0.0.2) has no socat:
  // its sessions' PATH holds every command of /usr/bin but socat.
  bool haproxy_host_without_socat = false;
  // The admin socket as host:port (a second `stats socket` on TCP).
  bool haproxy_tcp_socket = false;
  // The `level` of the unix admin socket the daemon uses.
  std::string haproxy_socket_level = "admin";
  // TOML added after the demo app, e.g. a second [[app]].
  std::string extra_config{};
  // TOML added to [server], e.g. "public_url = \"https://deploy.example.com\"\n".
  std::string server_extra{};
  // Two nginx load balancers, "lb1" (the first, which public_url goes
  // through) and "lb2", each its own nginx on loopback with its own
  // upstream file; the marker file nginx2-test-fails fails lb2's `nginx -t`.
  // With nginx_over_ssh, lb2 is reached over SSH.
  bool two_nginx = false;
  // Route with the digitalocean backend: the DigitalOcean test server holds
  // the reserved IP (127.0.0.1:lb_port(), forwarded to blue's 127.0.0.2 or
  // green's 127.0.0.3) instead of nginx.
  bool digitalocean = false;
  unsigned digitalocean_action_ms = 300;
  std::string digitalocean_switch_timeout = "20s";
  std::string digitalocean_poll_interval = "100ms";
  // The reserved IP the daemon asks for (the test server holds 127.0.0.1).
  std::string digitalocean_reserved_ip = "127.0.0.1";
  // The reserved IP the test server holds (its name in the API; it
  // forwards 127.0.0.1:lb_port() whatever the name).
  std::string digitalocean_held_ip = "127.0.0.1";
  // Two HAProxy load balancers (with haproxy), "lb1" and "lb2", each its
  // own HAProxy on loopback with its own admin socket and state file.
  bool two_haproxy = false;
  // nginx is tested and reloaded through nginx-control and the local nginx
  // helper (nginx-control-server, one per connection to nginx-helper.sock,
  // served by systemd-socket-activate as bluegreen-nginx.socket serves it),
  // as the packaged unit does for an nginx on its own machine.
  bool nginx_helper = false;
};

class world {
 public:
  explicit world(world_options options = {});
  ~world();

  const std::filesystem::path& root() const { return dir_.path(); }
  std::filesystem::path host_dir(const std::string& address) const {
    return dir_ / ("hosts/" + address);
  }
  // Load balancer `lb` (1, or 2 with two_nginx or two_haproxy).
  std::filesystem::path upstream_file(int lb = 1) const {
    return dir_ / (lb == 2 ? "nginx2/upstream.conf" : "nginx/upstream.conf");
  }
  std::filesystem::path known_hosts() const { return sshd_->known_hosts(); }
  std::string known_hosts_line(const std::string& address) const {
    return sshd_->known_hosts_line(address);
  }
  std::string ssh_host(const std::string& address) const;  // user@address:port
  // Restarts sshd with a new host key: the daemon no longer trusts any host.
  void change_ssh_host_key() { sshd_->change_host_key(); }
  std::uint16_t lb_port(int lb = 1) const { return lb == 2 ? lb2_port_ : lb_port_; }
  std::uint16_t api_port() const { return api_port_; }
  const std::string& token() const { return token_; }
  // Another API token ("read", "deploy" or "admin"), made with the CLI as an
  // operator would; returns its secret.
  std::string create_token(const std::string& name, const std::string& scope);
  std::vector<std::string> blue_hosts() const { return {"127.0.0.2"}; }
  std::vector<std::string> green_hosts() const { return {"127.0.0.3", "127.0.0.4", "127.0.0.5"}; }

  // Commits a new VERSION to the demo repository's main branch; returns the sha.
  std::string commit_version(const std::string& version);
  std::string sha_of(const std::string& ref);

  // In the environment of the daemon (so of every local command it runs)
  // and of the slow remote commands (the slow deploy step's and the slow
  // reload's `sleep 600`): find and end this world's processes with it.
  const process_marker& marker() const { return marker_; }

  // The daemon. start_daemon returns once it listens and has reconciled its
  // apps with the load balancer ("recovery finished").
  void start_daemon();
  void kill_daemon();  // SIGKILL
  child_process& daemon() { return *daemon_; }

  // The REST API.
  struct reply {
    int status = 0;
    nlohmann::json body;
  };
  reply api(const std::string& method, const std::string& path, const std::string& body = "");
  // Follows an operation's log as Server-Sent Events until it ends, and
  // returns the operation's final JSON; `on_line` sees each log line.
  nlohmann::json follow(std::int64_t id,
                        std::function<void(const nlohmann::json&)> on_line = nullptr,
                        std::chrono::seconds deadline = std::chrono::seconds(120));
  // An operation's log as text, a line per log line: "host stream text".
  std::string log_text(std::int64_t id);
  // The data of the operation's `operation.finished` event, read from the
  // event stream (from its first kept event).
  nlohmann::json finished_event(std::int64_t id);
  // Deploys `ref` and follows it to the end.
  nlohmann::json deploy(const std::string& ref, bool force = false);
  nlohmann::json switch_to(const std::string& body = "{}");
  nlohmann::json rollback();

  // GET through the load balancer (nginx) `lb`.
  std::string through_lb(const std::string& path, int lb = 1);
  // What the upstream file of `lb` routes to: "blue", "green" or "split".
  std::string upstream_colour(int lb = 1) const;
  // Rewrites lb's upstream file to route to `colour` and reloads that
  // nginx, as an operator would by hand.
  void route_by_hand(int lb, const std::string& colour);
  // The process ids of nginx's workers (the children of its master) for lb.
  // After a reload, the old ones may still accept a new connection until
  // they have exited: a test that edits routing by hand waits for that.
  std::vector<pid_t> nginx_workers(int lb = 1) const;
  // Waits until none of `old` is running; false at the deadline.
  bool wait_workers_gone(const std::vector<pid_t>& old,
                         std::chrono::milliseconds deadline = std::chrono::seconds(20)) const;

  // HAProxy's reply to one line on its admin socket (with haproxy; lb 2
  // with two_haproxy).
  std::string haproxy_command(const std::string& line, int lb = 1) const;
  // Reloads HAProxy by hand as systemd's reload does (SIGUSR2 to the
  // master), and returns once a new worker answers.
  void reload_haproxy();
  std::filesystem::path haproxy_state_file() const { return dir_ / "haproxy/state/demo"; }

  // The DigitalOcean test server's control interface (digitalocean only):
  // GET /state, POST /faults, /assign, /settings, /release, /clear-log.
  nlohmann::json digitalocean(const std::string& method, const std::string& path,
                              const std::string& body = "");
  static constexpr std::int64_t kBlueDroplet = 3164444;
  static constexpr std::int64_t kGreenDroplet = 3164445;
  std::filesystem::path digitalocean_token_file() const { return dir_ / "do-token"; }
  std::string digitalocean_api_url() const {
    return "https://127.0.0.1:" + std::to_string(digitalocean_api_port_);
  }
  std::filesystem::path digitalocean_ca_file() const { return dir_ / "do-tls/api.crt"; }
  // The port every demo app listens on (on its own address).
  std::uint16_t app_port() const { return app_port_; }

 private:
  void start_apps(const std::vector<std::string>& hosts);
  void start_nginx(const std::string& name, std::unique_ptr<child_process>& nginx,
                   std::uint16_t& port);
  void start_haproxy(const std::string& name, std::unique_ptr<child_process>& haproxy,
                     std::uint16_t& lb_port);
  std::string git(const std::vector<std::string>& args, const std::filesystem::path& cwd);
  std::string config_text(const world_options& options) const;

  temp_dir dir_;
  process_marker marker_;
  world_options options_;
  std::unique_ptr<test_sshd> sshd_;
  std::vector<std::unique_ptr<child_process>> apps_;
  std::unique_ptr<child_process> nginx_;
  void start_digitalocean();
  std::unique_ptr<child_process> digitalocean_;
  std::uint16_t digitalocean_api_port_ = 0;
  std::uint16_t digitalocean_control_port_ = 0;
  std::unique_ptr<child_process> nginx2_;  // with two_nginx
  std::unique_ptr<child_process> haproxy_;
  std::unique_ptr<child_process> haproxy2_;  // with two_haproxy
  std::unique_ptr<child_process> nginx_helper_;  // with nginx_helper
  std::unique_ptr<child_process> daemon_;
  std::uint16_t app_port_ = 0;
  std::uint16_t lb_port_ = 0;
  std::uint16_t lb2_port_ = 0;
  std::uint16_t haproxy_tcp_port_ = 0;
  std::uint16_t api_port_ = 0;
  std::string token_;
};

// Waits for `condition` with a deadline, checking every few milliseconds.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = std::chrono::seconds(20));

}  // namespace bluegreen::testing
