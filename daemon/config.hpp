// The daemon's configuration (bluegreen.toml) as typed values, and the
// loader that checks it. Every problem is reported with file, line, column
// and the key's path; unknown keys are errors; secrets are references to a
// file or a systemd credential, never inline values.
//
// A config is immutable once loaded and is shared between threads through
// std::shared_ptr<const config>; a reload builds a new one.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "daemon/colour.hpp"
#include "daemon/secrets.hpp"

namespace bluegreen::daemon {

using std::chrono::milliseconds;

struct server_config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8765;
  std::filesystem::path state_dir = "/var/lib/bluegreen";
  std::string log_level = "info";
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  milliseconds read_timeout{30'000};
  milliseconds write_timeout{30'000};
  // On SIGTERM, running operations get this long to finish before they are
  // cancelled and recorded as interrupted.
  milliseconds stop_timeout{60'000};
  // HTTP connections served at once; more are refused with 503.
  std::size_t max_connections = 512;
  // How long a dashboard sign-in lasts.
  milliseconds session_ttl{12 * 3600 * 1000};
  // The URL browsers reach the daemon at, when that is not plain http://
  // to its Host (a TLS proxy in front): its origin is accepted from the
  // dashboard, and https here makes the session cookie Secure. Empty: none.
  std::string public_url;
};

struct ssh_config {
  std::optional<std::filesystem::path> identity;
  bool use_agent = false;
  std::filesystem::path known_hosts = "/var/lib/bluegreen/known_hosts";
  unsigned workers = 16;
  milliseconds connect_timeout{10'000};
  milliseconds keepalive{30'000};
};

// The reality loop: how often each app's load balancer, identity and
// health are looked at between operations; zero turns the loop off.
struct reality_config {
  milliseconds interval{10'000};
};

// [metrics]: an optional second address serving GET /metrics, and nothing
// else, without a token (for a Prometheus on a trusted network).
struct metrics_config {
  std::optional<std::string> listen_host;  // unset: no second listener
  std::uint16_t listen_port = 0;           // 0: any free port
};

// An SSH destination as written in the config: [user@]host[:port].
struct ssh_target {
  std::string user;  // empty: the daemon's user name
  std::string host;
  std::uint16_t port = 22;
  std::string text;  // as written
};

struct colour_config {
  std::vector<ssh_target> hosts;
  std::string url;  // the colour's direct URL, for smoke checks while idle
  std::string identity;
  // host:port entries for load balancers (nginx, haproxy); default: each
  // host's address with the port of `url`.
  std::vector<std::string> upstreams;
};

struct deploy_config {
  std::vector<std::string> steps;
  std::string resolve;
  // What the dashboard's Deploy offers first: the app's usual branch.
  std::string default_ref = "main";
  milliseconds timeout{600'000};
};

struct check_config {
  std::string path;
  int expect_status = 200;
  std::optional<std::string> expect_body;  // a template, e.g. "{identity}"
  unsigned retries = 10;
  milliseconds interval{2'000};
  milliseconds timeout{5'000};
};

struct promote_config {
  enum class mode { manual, automatic };
  mode mode = mode::manual;
  milliseconds watch{60'000};
  milliseconds watch_interval{2'000};
  unsigned failure_threshold = 3;
};

struct nginx_backend {
  std::filesystem::path upstream_file;
  std::string upstream_name;
  std::string test_command = "nginx -t";
  std::string reload_command = "nginx -s reload";
  std::optional<ssh_target> host;  // nginx on another machine
};

// One HAProxy backend holds both colours' servers; a switch sets their
// weights through the admin socket and saves the backend's server state.
struct haproxy_backend {
  std::string socket;  // admin socket path, or host:port
  std::string backend;
  std::vector<std::string> blue_servers;
  std::vector<std::string> green_servers;
  // The backend's server-state file (server-state-base + server-state-file-name),
  // rewritten after every change so that a reload keeps it.
  std::filesystem::path state_file;
  std::optional<ssh_target> host;  // HAProxy on another machine (socat runs there)
};

struct digitalocean_backend {
  std::string reserved_ip;
  secret_ref token;
  std::int64_t blue_droplet_id = 0;
  std::int64_t green_droplet_id = 0;
  std::string api_url = "https://api.digitalocean.com";
  // PEM CA file trusted for api_url besides the system store (a local test
  // server); empty: the system store only.
  std::string ca_file;
  // A switch, including waiting for the assign action, gives up after this.
  milliseconds switch_timeout{120'000};
  // How often an in-progress action (or a locked IP) is looked at again.
  milliseconds poll_interval{1'000};
};

struct command_backend {
  std::string switch_command;   // gets {colour} and {weights}
  std::string current_command;  // prints the routed colour
  std::optional<ssh_target> host;
};

using backend_settings =
    std::variant<nginx_backend, haproxy_backend, digitalocean_backend, command_backend>;

// One load balancer of an app: its backend's settings and the name that
// messages use for it ("lb1"; by default its host as written, or "local").
struct load_balancer_config {
  std::string name;
  backend_settings backend;
};

struct traffic_config {
  // At least one once loaded, all of one backend; several only for nginx
  // and haproxy ([[app.traffic.load_balancer]]). A switch changes all of
  // them or none.
  std::vector<load_balancer_config> load_balancers;
  std::string_view backend_name() const;
  bool supports_weights() const {
    return !load_balancers.empty() && load_balancers.front().backend.index() <= 1;
  }
};

struct task_config {
  enum class target { idle, live, blue, green };
  std::string command;
  target on = target::idle;
  bool all_hosts = true;  // hosts = "all" (default) | "one"
};

// [app.github]: a push to `branch` of `repository` deploys the pushed
// commit to the idle colour (with the app's promote mode).
struct app_github_config {
  std::string repository;  // "owner/name", compared without regard to case
  std::string branch;      // default: deploy.default_ref
};

// [app.notify]: the app's own notification settings.
struct app_notify_config {
  // "Not deployed for N days": alert when the app's newest deploy is older
  // than this at the daily alert time (notify.not_deployed_at). Unset: never.
  std::optional<milliseconds> not_deployed_for;
};

struct app_config {
  std::string name;
  std::string public_url;
  std::optional<std::string> identity_path;
  colour_config blue;
  colour_config green;
  deploy_config deploy;
  std::vector<check_config> checks;
  promote_config promote;
  traffic_config traffic;
  std::map<std::string, task_config> tasks;
  // Environment variables passed to deploy steps and tasks, by name.
  std::map<std::string, secret_ref> secrets;
  std::optional<app_github_config> github;
  app_notify_config notify;

  const colour_config& colour_of(colour c) const { return c == colour::blue ? blue : green; }
};

// Who may do what from chat: a request is allowed when any rule is for its
// chat and names its team (or has none), its user (or "*"), its action and
// its app.
struct chat_rule {
  // "slack" or "mattermost": required, because ids are checked differently
  // (Slack's are signed; Mattermost's are fields any holder of its token
  // sets), so no rule may apply to both.
  std::string platform;
  std::vector<std::string> teams;  // Slack workspace / Mattermost team ids; empty: any
  std::vector<std::string> users;  // user ids, or "*" for anyone in those teams
  // deploy, status, switch, rollback, lock, unlock, cancel; default: all.
  std::vector<std::string> actions;
  std::vector<std::string> apps;  // app names, or "*"; default: all
};

// [chat]: the slash commands of Slack and Mattermost.
struct chat_config {
  std::optional<secret_ref> slack_signing_secret;  // [chat.slack] signing_secret
  std::optional<secret_ref> mattermost_token;      // [chat.mattermost] token
  std::vector<chat_rule> allow;                    // [[chat.allow]]
};

// [github]: the push webhook.
struct github_config {
  std::optional<secret_ref> secret;  // unset: /hooks/github answers 503
  std::size_t max_body_bytes = 5 * 1024 * 1024;
};

// [outbound]: where the daemon's own requests (notifications, chat
// response_url) may go although the address is loopback, private or
// link-local: host names as written ("mattermost.lan"), addresses and
// networks ("10.0.0.0/8", "127.0.0.1", "fd00::/8").
struct outbound_config {
  std::vector<std::string> allow;
};

// [[notify.target]]: where the team is told what happened.
struct notify_target {
  enum class kind { slack, mattermost, discord, webhook };
  std::string name;
  enum kind kind = kind::slack;
  secret_ref url;                     // webhook URLs carry their own credential
  std::optional<secret_ref> secret;   // webhook: the HMAC key of X-Bluegreen-Signature-256
  // Event names (deploy.started, deploy.ready, deploy.succeeded,
  // deploy.failed, switch, rollback, rollback.automatic, drift.detected,
  // drift.resolved, lock, unlock, not_deployed); default: all.
  std::vector<std::string> events;
  std::vector<std::string> apps;  // default: all
};

struct notify_config {
  // Local time of day ("09:00" or "09:00:30") when "not deployed for N
  // days" alerts go out, at most once a day per app.
  std::chrono::seconds not_deployed_at{9 * 3600};
  std::vector<notify_target> targets;
};

struct config {
  std::filesystem::path source;  // the file it was loaded from
  server_config server;
  ssh_config ssh;
  reality_config reality;
  metrics_config metrics;
  chat_config chat;
  github_config github;
  outbound_config outbound;
  notify_config notify;
  std::vector<app_config> apps;

  const app_config* find_app(std::string_view name) const;
};

struct config_error {
  std::string file;
  std::uint32_t line = 0;    // 1-based; 0 when the error has no position
  std::uint32_t column = 0;  // 1-based
  std::string key;           // e.g. "app[0].blue.hosts" (apps counted from 0)
  std::string message;

  // "file:line:column: key: message"
  std::string to_string() const;
};

struct config_result {
  std::shared_ptr<const config> value;  // null when there are errors
  std::vector<config_error> errors;
};

// Parses TOML text; `source_name` is used in error messages.
config_result parse_config(std::string_view text, const std::filesystem::path& source_name);
// Reads and parses a file.
config_result load_config(const std::filesystem::path& path);

}  // namespace bluegreen::daemon
