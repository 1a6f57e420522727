#include <algorithm>
#include <cctype>

#include "daemon/config_sections.hpp"
#include "daemon/net/host_port.hpp"

namespace bluegreen::daemon {

using namespace std::chrono_literals;

namespace {

void read_colour(error_sink& sink, const toml::table& t, const std::string& path,
                 colour_config& out) {
  table_reader r(sink, t, path);
  constexpr std::string_view kHostsExpected =
      "a non-empty array of SSH destinations, e.g. [\"deploy@10.0.0.2\"]";
  if (auto hosts = r.strings("hosts", true, kHostsExpected)) {
    if (hosts->empty())
      r.error_at("hosts", "must not be empty: expected " + std::string(kHostsExpected));
    const toml::array* arr = t.get("hosts")->as_array();
    for (size_t i = 0; i < hosts->size(); ++i) {
      auto target = parse_ssh_target((*hosts)[i]);
      if (!target) {
        sink.add(arr->get(i)->source(), r.key_path("hosts") + "[" + std::to_string(i) + "]",
                 "\"" + (*hosts)[i] +
                     "\" is not an SSH destination: expected [user@]host[:port], e.g. "
                     "\"deploy@10.0.0.2\"");
        continue;
      }
      out.hosts.push_back(*target);
    }
  }
  read_url(r, "url", out.url, true);
  if (auto identity = r.text("identity", false, "the text the colour answers on identity_path"))
    out.identity = *identity;
  if (auto upstreams = r.strings("upstreams", false, "an array of host:port")) {
    for (const auto& u : *upstreams) {
      if (!net::parse_host_port(u, {.port_required = true}))
        r.error_at("upstreams", "\"" + u + "\" is not host:port");
      else
        out.upstreams.push_back(u);
    }
  }
  r.finish();
  if (out.upstreams.empty() && !out.url.empty()) {
    auto port = http_url_port(out.url);
    for (const auto& h : out.hosts) {
      bool v6 = h.host.find(':') != std::string::npos;
      out.upstreams.push_back((v6 ? "[" + h.host + "]" : h.host) + ":" + std::to_string(*port));
    }
  }
}

void read_deploy(error_sink& sink, const toml::table& t, const std::string& path,
                 deploy_config& out) {
  table_reader r(sink, t, path);
  constexpr std::string_view kStepsExpected =
      "a non-empty array of shell commands run on every host of the idle colour";
  if (auto steps = r.strings("steps", true, kStepsExpected)) {
    if (steps->empty())
      r.error_at("steps", "must not be empty: expected " + std::string(kStepsExpected));
    out.steps = *steps;
  }
  if (auto resolve = r.text("resolve", true,
                            "a shell command that prints the commit sha of {ref}, e.g. "
                            "\"cd /srv/app && git rev-parse --verify {ref}^{commit}\""))
    out.resolve = *resolve;
  if (auto ref = r.text("default_ref", false, "a branch or tag, e.g. \"main\"")) {
    // The deploy checks every ref fully; here only what could never be one.
    bool plain = !ref->empty() && ref->size() <= 200 && ref->front() != '-' &&
                 std::all_of(ref->begin(), ref->end(), [](unsigned char c) {
                   return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '/';
                 });
    if (plain)
      out.default_ref = *ref;
    else
      r.error_at("default_ref",
                 "must be a branch or tag of letters, digits, '.', '_', '-' and '/', e.g. "
                 "\"main\"");
  }
  r.duration("timeout", out.timeout, false, 24h * 7);
  r.finish();
}

void read_check(error_sink& sink, const toml::table& t, const std::string& path,
                check_config& out) {
  table_reader r(sink, t, path);
  if (auto p = r.text("path", true, "a URL path starting with '/', e.g. \"/health\"")) {
    if (!p->starts_with('/'))
      r.error_at("path", "\"" + *p + "\" must start with '/'");
    else
      out.path = *p;
  }
  if (auto status = r.integer("expect_status", false, 100, 599))
    out.expect_status = static_cast<int>(*status);
  if (auto body = r.string("expect_body", false, "text the response body must contain"))
    out.expect_body = *body;
  if (auto retries = r.integer("retries", false, 0, 1000))
    out.retries = static_cast<unsigned>(*retries);
  r.duration("interval", out.interval, false, 1h);
  r.duration("timeout", out.timeout, false, 1h);
  r.finish();
}

void read_promote(error_sink& sink, const toml::table& t, const std::string& path,
                  promote_config& out) {
  table_reader r(sink, t, path);
  if (auto mode = r.string("mode", false, "\"manual\" or \"auto\"")) {
    if (*mode == "manual")
      out.mode = promote_config::mode::manual;
    else if (*mode == "auto")
      out.mode = promote_config::mode::automatic;
    else
      r.error_at("mode",
                 "\"" + *mode + "\" is not a promote mode: expected \"manual\" or \"auto\"");
  }
  r.duration("watch", out.watch, true, 24h * 30);
  r.duration("watch_interval", out.watch_interval, false, 1h);
  if (auto threshold = r.integer("failure_threshold", false, 1, 1000))
    out.failure_threshold = static_cast<unsigned>(*threshold);
  r.finish();
}

void read_tasks(error_sink& sink, const toml::table& t, const std::string& path,
                std::map<std::string, task_config>& out) {
  for (const auto& [k, v] : t) {
    std::string name(k.str());
    std::string task_path = path + "." + name;
    if (!is_name(name, 63)) {
      sink.add(k.source(), task_path,
               "\"" + name + "\" is not a task name: use lower-case letters, digits, '-' and '_'");
      continue;
    }
    if (!v.is_table()) {
      sink.add(v.source(), task_path,
               "expected a table such as { command = \"...\", on = \"idle\", hosts = \"one\" }, "
               "got " +
                   std::string(type_name(v.type())));
      continue;
    }
    table_reader r(sink, *v.as_table(), task_path);
    task_config task;
    if (auto cmd = r.text("command", true, "a shell command")) task.command = *cmd;
    if (auto on = r.string("on", false, "\"idle\", \"live\", \"blue\" or \"green\"")) {
      if (*on == "idle")
        task.on = task_config::target::idle;
      else if (*on == "live")
        task.on = task_config::target::live;
      else if (*on == "blue")
        task.on = task_config::target::blue;
      else if (*on == "green")
        task.on = task_config::target::green;
      else
        r.error_at(
            "on",
            "\"" + *on + "\" is not a target: expected \"idle\", \"live\", \"blue\" or \"green\"");
    }
    if (auto hosts = r.string("hosts", false, "\"one\" or \"all\"")) {
      if (*hosts == "one")
        task.all_hosts = false;
      else if (*hosts == "all")
        task.all_hosts = true;
      else
        r.error_at("hosts", "\"" + *hosts + "\" is not a host choice: expected \"one\" or \"all\"");
    }
    r.finish();
    out.emplace(name, std::move(task));
  }
}

void read_secrets(error_sink& sink, const toml::table& t, const std::string& path,
                  std::map<std::string, secret_ref>& out) {
  table_reader r(sink, t, path);
  for (const auto& [k, v] : t) {
    std::string name(k.str());
    if (!is_env_name(name)) {
      sink.add(k.source(), path + "." + name,
               "\"" + name + "\" is not an environment variable name: use A-Z, 0-9 and '_'");
      r.mark_known(name);
      continue;
    }
    if (auto ref = r.secret(name, true)) out.emplace(name, *ref);
  }
  r.finish();
}

}  // namespace

void read_app(error_sink& sink, const toml::table& t, size_t index, app_config& out) {
  std::string path = "app[" + std::to_string(index) + "]";
  table_reader r(sink, t, path);
  if (auto name = r.string("name", true, "the app's name, e.g. \"keepthescore\"")) {
    if (!is_name(*name, 63))
      r.error_at("name", "\"" + *name +
                             "\" is not an app name: use 1 to 63 lower-case letters, digits, "
                             "'-' and '_', starting with a letter or digit");
    out.name = *name;
  }
  read_url(r, "public_url", out.public_url, true);
  if (auto ip = r.text("identity_path", false, "a URL path such as \"/hostname\"")) {
    if (!ip->starts_with('/')) r.error_at("identity_path", "\"" + *ip + "\" must start with '/'");
    out.identity_path = *ip;
  }
  for (colour c : {colour::blue, colour::green}) {
    std::string key(to_string(c));
    if (auto sub = r.subtable(key, true, "a table [app." + key + "] with hosts and url"))
      read_colour(sink, *sub, r.key_path(key), c == colour::blue ? out.blue : out.green);
  }
  if (auto sub = r.subtable("deploy", true, "a table [app.deploy] with steps and resolve"))
    read_deploy(sink, *sub, r.key_path("deploy"), out.deploy);
  if (const toml::node* checks = r.node("check", false, "[[app.check]] tables")) {
    const toml::array* arr = checks->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      r.error_at("check", "expected [[app.check]] tables");
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        check_config check;
        read_check(sink, *arr->get(i)->as_table(),
                   r.key_path("check") + "[" + std::to_string(i) + "]", check);
        out.checks.push_back(std::move(check));
      }
    }
  }
  if (auto sub = r.subtable("promote", false, "a table [app.promote]"))
    read_promote(sink, *sub, r.key_path("promote"), out.promote);
  if (auto sub = r.subtable("traffic", true, "a table [app.traffic] with a backend"))
    read_traffic(sink, *sub, r.key_path("traffic"), out.traffic);
  if (auto sub = r.subtable("tasks", false, "a table [app.tasks]"))
    read_tasks(sink, *sub, r.key_path("tasks"), out.tasks);
  if (auto sub = r.subtable("secrets", false, "a table [app.secrets]"))
    read_secrets(sink, *sub, r.key_path("secrets"), out.secrets);
  read_app_hooks(r, sink, out);
  r.finish();

  // Rules that span keys.
  if (out.identity_path) {
    for (colour c : {colour::blue, colour::green}) {
      const auto& cc = out.colour_of(c);
      if (cc.identity.empty() && t.get(to_string(c)))
        sink.add(t.get(to_string(c))->source(), r.key_path(std::string(to_string(c)) + ".identity"),
                 "required when identity_path is set: the text this colour answers on " +
                     *out.identity_path);
    }
    if (!out.blue.identity.empty() && out.blue.identity == out.green.identity) {
      const toml::node* where = t.at_path("green.identity").node();
      sink.add(where ? where->source() : t.source(), r.key_path("green.identity"),
               "equals blue.identity (\"" + out.blue.identity +
                   "\"): the colours must answer differently on identity_path");
    }
  }
  for (const auto& b : out.blue.hosts) {
    for (const auto& g : out.green.hosts) {
      if (b.host == g.host && b.port == g.port) {
        const toml::node* where = t.at_path("green.hosts").node();
        sink.add(where ? where->source() : t.source(), r.key_path("green.hosts"),
                 "host \"" + g.host +
                     "\" is in both blue and green: a deploy to the idle colour would change "
                     "the live one");
      }
    }
  }
  for (const auto& lb : out.traffic.load_balancers) {
    const auto* hap = std::get_if<haproxy_backend>(&lb.backend);
    if (!hap) continue;
    for (const auto& s : hap->blue_servers)
      if (std::find(hap->green_servers.begin(), hap->green_servers.end(), s) !=
          hap->green_servers.end())
        r.error_at("traffic",
                   "HAProxy server \"" + s + "\" is in both blue_servers and green_servers");
  }
}

}  // namespace bluegreen::daemon
