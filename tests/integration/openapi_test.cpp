// docs/openapi.yaml against the real daemon (sshd, nginx, the demo apps):
// the routes the daemon serves and the file's paths and methods are the
// same both ways, and real answers of every route, errors included, are
// what the file says (status, content type, headers, body). The checking
// is tests/openapi/openapi_check.py, with Debian's python3-yaml and
// python3-jsonschema; this test makes the exchanges and hands them over.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "api/hmac_signature.hpp"
#include "tests/support/form_encode.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/world.hpp"

namespace {

using namespace std::chrono_literals;
using bluegreen::testing::child_process;
using bluegreen::testing::form_encode;
using bluegreen::testing::http_connection;
using bluegreen::testing::run_command;
using bluegreen::testing::temp_dir;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

// Debian's interpreter, so that Debian's python3-yaml and python3-jsonschema
// are the ones used.
const std::string kPython = "/usr/bin/python3";
const std::string kCheck = BLUEGREEN_SOURCE_DIR "/tests/openapi/openapi_check.py";
const std::string kSpec = BLUEGREEN_SOURCE_DIR "/docs/openapi.yaml";

const std::string kGithubSecret = "webhook secret of the demo repository";
const std::string kSlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
const std::string kMattermostToken = "xr3j5x3p4pfk7e3qyfwm7e9mah";

struct answer {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Splits what was received into status, headers and body (as much of it
// as arrived, up to Content-Length).
answer parse_answer(const std::string& text) {
  answer a;
  auto end = text.find("\r\n\r\n");
  if (end == std::string::npos || text.size() < 12) return a;
  a.status = std::stoi(text.substr(9, 3));
  std::size_t pos = text.find("\r\n") + 2;
  while (pos < end) {
    auto next = text.find("\r\n", pos);
    std::string line = text.substr(pos, next - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      a.headers[name] = value;
    }
    pos = next + 2;
  }
  a.body = text.substr(end + 4);
  if (auto it = a.headers.find("content-length"); it != a.headers.end())
    a.body = a.body.substr(0, std::stoul(it->second));
  return a;
}

// The value of header `name` in `headers` ("Name: value\r\n" lines), or "".
std::string header_value(const std::string& headers, const std::string& name) {
  auto at = headers.find(name + ": ");
  if (at == std::string::npos) return "";
  at += name.size() + 2;
  return headers.substr(at, headers.find("\r\n", at) - at);
}

// The hooks' secrets, the daemon or the whole world, and the exchanges
// made with it.
class OpenApi : public ::testing::Test {
 protected:
  // The [github] and [chat] sections, with their secrets in files.
  std::string hooks_config() const {
    auto github = secrets_.write("github-secret", kGithubSecret + "\n");
    auto slack = secrets_.write("slack-signing-secret", kSlackSecret + "\n");
    auto mattermost = secrets_.write("mattermost-token", kMattermostToken + "\n");
    return "[github]\nsecret = { file = \"" + github.string() + "\" }\n" +
           "[chat.slack]\nsigning_secret = { file = \"" + slack.string() + "\" }\n" +
           "[chat.mattermost]\ntoken = { file = \"" + mattermost.string() + "\" }\n";
  }

  // The world: the demo app, GitHub's webhook for it, Slack and Mattermost
  // slash commands, and a second app routed by the command backend (which
  // cannot weight traffic).
  void start_world() {
    world_options o;
    o.extra_config =
        "  [app.github]\n  repository = \"acme/demo\"\n  branch = \"main\"\n" + hooks_config() +
        "[[app]]\nname = \"plain\"\npublic_url = \"http://127.0.0.1:9\"\n"
        "  [app.blue]\n  hosts = [\"nobody@127.0.0.9:9\"]\n  url = \"http://127.0.0.9:9\"\n"
        "  [app.green]\n  hosts = [\"nobody@127.0.0.10:9\"]\n  url = \"http://127.0.0.10:9\"\n"
        "  [app.deploy]\n  steps = [\"true\"]\n  resolve = \"git rev-parse {ref}\"\n"
        "  [app.traffic]\n  backend = \"command\"\n  switch_command = \"true\"\n"
        "  current_command = \"echo blue\"\n";
    w_ = std::make_unique<world>(o);
    port_ = w_->api_port();
    reader_ = w_->create_token("reader", "read");
  }

  // The daemon alone, without apps, its configuration in directory `name`
  // with `sections` added; calls go to it from now on.
  std::unique_ptr<child_process> start_daemon_alone(const std::string& name,
                                                    const std::string& sections) {
    auto config = secrets_.write(name + "/bluegreen.toml",
                                 "[server]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"" +
                                     (secrets_ / (name + "/state")).string() +
                                     "\"\nlog_level = \"debug\"\n\n" + sections);
    auto daemon = std::make_unique<child_process>(
        std::vector<std::string>{BLUEGREEN_BINARY, "run", "--config", config.string()});
    auto listening = daemon->wait_for_stderr("listening on", 60s);
    if (!listening) throw std::runtime_error("bluegreend did not start: " + daemon->stderr_text());
    std::smatch m;
    std::regex_search(*listening, m, std::regex("127\\.0\\.0\\.1:([0-9]+)"));
    port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    return daemon;
  }

  // One request on a connection of its own, recorded for the check. `route`
  // is the router's pattern the request goes to. A stream is read until
  // `enough` says what came is enough (then the connection is closed).
  answer call(const std::string& method, const std::string& route, const std::string& target,
              const std::string& body = "", const std::string& headers = "",
              const std::function<bool(const std::string&)>& enough = nullptr) {
    http_connection conn("127.0.0.1", port_);
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if ((!body.empty() || method == "POST") && headers.find("Content-Length") == std::string::npos)
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    EXPECT_TRUE(conn.send_raw(req + headers + "\r\n" + body));
    conn.read_until(
        [&](const std::string& got) {
          auto end = got.find("\r\n\r\n");
          if (end == std::string::npos) return false;
          answer a = parse_answer(got);
          if (method == "HEAD" || a.status == 204 || a.status == 304) return true;
          if (a.headers.count("content-length"))
            return got.size() - end - 4 >= std::stoul(a.headers["content-length"]);
          return enough && enough(got.substr(end + 4));
        },
        120s);
    answer a = parse_answer(conn.received());
    EXPECT_NE(a.status, 0) << method << " " << target << ": no answer";
    exchanges_.push_back(
        {{"method", method},
         {"route", route},
         {"target", target},
         {"status", a.status},
         {"content_type", a.headers.count("content-type") ? a.headers["content-type"] : ""},
         {"headers", a.headers},
         {"body", a.body},
         {"request_body", body},
         {"request_content_type", header_value(headers, "Content-Type")}});
    return a;
  }

  std::string bearer(const std::string& token) { return "Authorization: Bearer " + token + "\r\n"; }
  std::string admin() { return bearer(w_->token()); }
  json body_of(const answer& a) { return json::parse(a.body, nullptr, false); }

  // A webhook delivery signed as GitHub signs it.
  answer deliver(const std::string& event, const std::string& id, const std::string& payload,
                 const std::string& content_type = "application/json", bool sign = true) {
    std::string headers = "Content-Type: " + content_type + "\r\nX-GitHub-Event: " + event + "\r\n";
    if (!id.empty()) headers += "X-GitHub-Delivery: " + id + "\r\n";
    if (sign)
      headers +=
          "X-Hub-Signature-256: sha256=" + bluegreen::api::hmac_sha256_hex(kGithubSecret, payload) +
          "\r\n";
    return call("POST", "/hooks/github", "/hooks/github", payload, headers);
  }

  static json push_payload(const std::string& ref, const std::string& after) {
    return {{"ref", ref},
            {"before", std::string(40, '0')},
            {"after", after},
            {"deleted", false},
            {"repository", {{"full_name", "acme/demo"}}},
            {"pusher", {{"name", "alice"}}}};
  }

  // A Slack slash command signed now with the app's signing secret.
  answer slack(const std::string& body, bool sign = true) {
    std::string headers = "Content-Type: application/x-www-form-urlencoded\r\n";
    if (sign) {
      std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
      headers += "X-Slack-Request-Timestamp: " + ts + "\r\nX-Slack-Signature: v0=" +
                 bluegreen::api::hmac_sha256_hex(kSlackSecret, "v0:" + ts + ":" + body) + "\r\n";
    }
    return call("POST", "/hooks/slack", "/hooks/slack", body, headers);
  }

  // Runs the check; its output when it finds violations.
  static std::string check(const std::string& mode, const json& data) {
    temp_dir dir;
    auto file = dir.write(mode + ".json", data.dump(2, ' ', false, json::error_handler_t::replace));
    auto r = run_command({kPython, kCheck, mode, kSpec, file.string()});
    return r.status == 0 ? ""
                         : "openapi_check.py " + mode + " (exit " + std::to_string(r.status) +
                               "):\n" + r.out + r.err;
  }

  temp_dir secrets_;
  std::unique_ptr<world> w_;
  std::uint16_t port_ = 0;  // where calls go
  std::string reader_;
  json exchanges_ = json::array();
};

TEST_F(OpenApi, TheFileIsAWellFormedOpenApi31Document) {
  auto r = run_command({kPython, kCheck, "document", kSpec});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

// The daemon lists what it serves at debug level, as it registered it:
// every route there is in the file, with the same auth, and every path and
// method of the file is a route. The daemon runs alone here (no app needs
// to be reachable for its routes to be registered), with every hook
// configured.
TEST_F(OpenApi, TheRoutesTheDaemonServesAreTheFilesPathsAndMethods) {
  auto daemon = start_daemon_alone("alone", hooks_config());
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait_exit(60s), 0) << daemon->stderr_text();
  json routes = json::array();
  std::regex line(R"(serving ([A-Z,]+) (/\S*) \((.+)\)\s*$)");
  std::string log = daemon->stderr_text();
  std::istringstream lines(log);
  for (std::string l; std::getline(lines, l);) {
    std::smatch m;
    if (!std::regex_search(l, m, line)) continue;
    json methods = json::array();
    std::istringstream list(m[1].str());
    for (std::string method; std::getline(list, method, ',');) methods.push_back(method);
    routes.push_back({{"methods", methods}, {"path", m[2].str()}, {"auth", m[3].str()}});
  }
  ASSERT_GE(routes.size(), 20u) << "the daemon did not list its routes:\n" << log;
  EXPECT_EQ(check("routes", routes), "");
}

TEST_F(OpenApi, RealAnswersOfEveryRouteMatchTheFile) {
  start_world();
  const std::string demo = "/api/v1/apps/{app}";
  const std::string json_type = "Content-Type: application/json\r\n";

  // Public: health, the dashboard's files.
  call("GET", "/healthz", "/healthz");
  call("HEAD", "/healthz", "/healthz");
  EXPECT_EQ(call("GET", "/metrics", "/metrics", "", admin()).status, 200);
  EXPECT_EQ(call("HEAD", "/metrics", "/metrics", "", admin()).status, 200);
  EXPECT_EQ(call("GET", "/metrics", "/metrics").status, 401);
  std::string scraper = bearer(w_->create_token("scraper", "metrics"));
  EXPECT_EQ(call("GET", "/metrics", "/metrics", "", scraper).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/apps", "/api/v1/apps", "", scraper).status, 403);
  auto page = call("GET", "/", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(call("GET", "/", "/", "", "If-None-Match: " + page.headers["etag"] + "\r\n").status,
            304);
  call("HEAD", "/", "/");
  call("GET", "/assets/{path...}", "/assets/app.js");
  call("GET", "/assets/{path...}", "/assets/favicon.svg");
  call("HEAD", "/assets/{path...}", "/assets/style.css");
  EXPECT_EQ(call("GET", "/assets/{path...}", "/assets/no/such.js").status, 404);
  EXPECT_EQ(call("GET", "/assets/{path...}", "/assets/%ff").status, 400);

  // Sessions: sign in, who is signed in, sign out.
  auto signed_in = call("POST", "/api/v1/session", "/api/v1/session",
                        json{{"token", w_->token()}}.dump(), json_type);
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  std::string cookie = signed_in.headers["set-cookie"];
  cookie = "Cookie: " + cookie.substr(0, cookie.find(';')) + "\r\n";
  EXPECT_EQ(call("POST", "/api/v1/session", "/api/v1/session", "{").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/session", "/api/v1/session", R"({"token":"bgt_0"})").status, 401);
  EXPECT_EQ(call("POST", "/api/v1/session", "/api/v1/session", json{{"token", w_->token()}}.dump(),
                 "Origin: http://elsewhere.example\r\n")
                .status,
            403);
  EXPECT_EQ(call("POST", "/api/v1/session", "/api/v1/session", std::string(5000, ' ')).status, 413);
  EXPECT_EQ(body_of(call("GET", "/api/v1/session", "/api/v1/session"))["session"], nullptr);
  EXPECT_EQ(call("GET", "/api/v1/session", "/api/v1/session", "", cookie).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/session", "/api/v1/session", "", bearer("bgt_0")).status, 401);
  call("HEAD", "/api/v1/session", "/api/v1/session", "", admin());
  EXPECT_EQ(call("GET", "/api/v1/apps", "/api/v1/apps", "", cookie).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/session", "/api/v1/session", "", cookie).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/session", "/api/v1/session", "",
                 cookie + "Origin: http://127.0.0.1\r\n")
                .status,
            204);
  EXPECT_EQ(call("GET", "/api/v1/apps", "/api/v1/apps", "", cookie).status, 401);

  // Reading apps, operations and the audit log.
  call("GET", "/api/v1/apps", "/api/v1/apps", "", admin());
  EXPECT_EQ(call("GET", "/api/v1/apps", "/api/v1/apps").status, 401);
  call("HEAD", "/api/v1/apps", "/api/v1/apps", "", bearer(reader_));
  call("GET", demo, "/api/v1/apps/demo", "", bearer(reader_));
  call("GET", demo, "/api/v1/apps/plain", "", admin());
  EXPECT_EQ(call("GET", demo, "/api/v1/apps/nope", "", admin()).status, 404);
  call("HEAD", demo, "/api/v1/apps/demo", "", admin());
  call("GET", demo + "/deployments", "/api/v1/apps/demo/deployments", "", admin());
  EXPECT_EQ(call("GET", demo + "/deployments", "/api/v1/apps/demo/deployments?limit=0", "", admin())
                .status,
            400);
  EXPECT_EQ(call("GET", demo + "/deployments", "/api/v1/apps/nope/deployments", "", admin()).status,
            404);
  call("HEAD", demo + "/deployments", "/api/v1/apps/demo/deployments", "", admin());
  EXPECT_EQ(call("GET", "/api/v1/events", "/api/v1/events?limit=x", "", admin()).status, 400);

  // The manual lock.
  const std::string lock = demo + "/lock";
  EXPECT_EQ(call("POST", lock, "/api/v1/apps/demo/lock", "{}", admin()).status, 400);
  EXPECT_EQ(call("POST", lock, "/api/v1/apps/demo/lock", R"({"reason":"freeze"})", bearer(reader_))
                .status,
            403);
  EXPECT_EQ(call("POST", lock, "/api/v1/apps/nope/lock", R"({"reason":"freeze"})", admin()).status,
            404);
  EXPECT_EQ(call("POST", lock, "/api/v1/apps/demo/lock", R"({"reason":"freeze"})", admin()).status,
            201);
  EXPECT_EQ(call("POST", lock, "/api/v1/apps/demo/lock", R"({"reason":"again"})", admin()).status,
            409);
  const std::string deployments = demo + "/deployments";
  EXPECT_EQ(call("POST", deployments, "/api/v1/apps/demo/deployments", R"({"ref":"main"})", admin())
                .status,
            409);
  call("GET", demo, "/api/v1/apps/demo", "", admin());  // with its lock
  EXPECT_EQ(call("DELETE", lock, "/api/v1/apps/demo/lock", "", admin()).status, 200);
  EXPECT_EQ(call("DELETE", lock, "/api/v1/apps/demo/lock", "", admin()).status, 404);

  // Refusals of operations, before any runs.
  const std::string rollback = demo + "/rollback";
  const std::string switch_ = demo + "/switch";
  EXPECT_EQ(call("POST", rollback, "/api/v1/apps/demo/rollback", "", admin()).status, 409);
  EXPECT_EQ(
      call("POST", rollback, "/api/v1/apps/demo/rollback", R"({"to":"blue"})", admin()).status,
      400);
  EXPECT_EQ(call("POST", deployments, "/api/v1/apps/demo/deployments", "{", admin()).status, 400);
  EXPECT_EQ(call("POST", deployments, "/api/v1/apps/demo/deployments", R"({"ref":"a b"})", admin())
                .status,
            400);
  EXPECT_EQ(call("POST", deployments, "/api/v1/apps/nope/deployments", R"({"ref":"main"})", admin())
                .status,
            404);
  EXPECT_EQ(call("POST", deployments, "/api/v1/apps/demo/deployments", R"({"ref":"main"})",
                 bearer(reader_))
                .status,
            403);
  // Refused from its Content-Length, before any body is sent.
  EXPECT_EQ(call("POST", deployments, "/api/v1/apps/demo/deployments", "",
                 admin() + "Content-Length: 2000000\r\n")
                .status,
            413);
  EXPECT_EQ(
      call("POST", switch_, "/api/v1/apps/plain/switch", R"({"weights":{"green":10}})", admin())
          .status,
      422);
  EXPECT_EQ(
      call("POST", switch_, "/api/v1/apps/demo/switch", R"({"weights":{"green":150}})", admin())
          .status,
      400);
  EXPECT_EQ(call("POST", switch_, "/api/v1/apps/demo/switch", R"({"to":"red"})", admin()).status,
            400);

  // A deploy, followed to its end; what it refuses meanwhile.
  auto deploy =
      call("POST", deployments, "/api/v1/apps/demo/deployments", R"({"ref":"main"})", admin());
  ASSERT_EQ(deploy.status, 202) << deploy.body;
  std::int64_t deployed = body_of(deploy)["operation"]["id"];
  std::string op = "/api/v1/deployments/" + std::to_string(deployed);
  EXPECT_EQ(call("POST", deployments, "/api/v1/apps/demo/deployments", R"({"ref":"main"})", admin())
                .status,
            409);
  EXPECT_EQ(
      deliver("push", "d-busy", push_payload("refs/heads/main", w_->sha_of("main")).dump()).status,
      409);
  auto followed =
      call("GET", "/api/v1/deployments/{id}/log", op + "/log?follow=1", "", admin(),
           [](const std::string& got) {
             return got.find("event: end") != std::string::npos && got.ends_with("\n\n");
           });
  EXPECT_NE(followed.body.find("\"state\":\"ready\""), std::string::npos) << followed.body;
  call("GET", "/api/v1/deployments/{id}", op, "", admin());
  EXPECT_EQ(
      call("GET", "/api/v1/deployments/{id}", "/api/v1/deployments/999999", "", admin()).status,
      404);
  EXPECT_EQ(call("GET", "/api/v1/deployments/{id}", "/api/v1/deployments/abc", "", admin()).status,
            404);
  call("HEAD", "/api/v1/deployments/{id}", op, "", admin());
  call("GET", "/api/v1/deployments/{id}/log", op + "/log", "", admin());
  EXPECT_EQ(call("GET", "/api/v1/deployments/{id}/log", op + "/log?limit=0", "", admin()).status,
            400);
  EXPECT_EQ(
      call("GET", "/api/v1/deployments/{id}/log", "/api/v1/deployments/999999/log", "", admin())
          .status,
      404);
  call("HEAD", "/api/v1/deployments/{id}/log", op + "/log?follow=1", "", admin());

  // A switch, a rollback, a task; cancels refused and accepted.
  auto switched = call("POST", switch_, "/api/v1/apps/demo/switch", "", admin());
  ASSERT_EQ(switched.status, 202) << switched.body;
  std::int64_t switch_id = body_of(switched)["operation"]["id"];
  EXPECT_EQ(w_->follow(switch_id)["state"], "succeeded");
  EXPECT_EQ(call("POST", switch_, "/api/v1/apps/demo/switch", R"({"to":"green"})", admin()).status,
            409);
  const std::string cancel = "/api/v1/deployments/{id}/cancel";
  EXPECT_EQ(call("POST", cancel, "/api/v1/deployments/" + std::to_string(switch_id) + "/cancel", "",
                 admin())
                .status,
            409);
  EXPECT_EQ(call("POST", cancel, op + "/cancel", "{}", admin()).status, 409);
  EXPECT_EQ(call("POST", cancel, op + "/cancel", "[]", admin()).status, 400);
  EXPECT_EQ(call("POST", cancel, "/api/v1/deployments/999999/cancel", "", admin()).status, 404);
  auto rolled = call("POST", rollback, "/api/v1/apps/demo/rollback", "", admin());
  ASSERT_EQ(rolled.status, 202) << rolled.body;
  EXPECT_EQ(w_->follow(body_of(rolled)["operation"]["id"])["state"], "succeeded");
  const std::string task = demo + "/tasks/{task}";
  auto ran =
      call("POST", task, "/api/v1/apps/demo/tasks/migrate", R"({"colour":"green"})", admin());
  ASSERT_EQ(ran.status, 202) << ran.body;
  EXPECT_EQ(w_->follow(body_of(ran)["operation"]["id"])["state"], "succeeded");
  EXPECT_EQ(call("POST", task, "/api/v1/apps/demo/tasks/nope", "", admin()).status, 404);
  EXPECT_EQ(
      call("POST", task, "/api/v1/apps/demo/tasks/migrate", R"({"colour":"red"})", admin()).status,
      400);

  // GitHub's webhook: a push that deploys (then cancelled), and refusals.
  std::string sha = w_->sha_of("main");
  auto pushed = deliver("push", "d-push", push_payload("refs/heads/main", sha).dump());
  ASSERT_EQ(pushed.status, 202) << pushed.body;
  std::int64_t push_op = body_of(pushed)["deployments"][0]["operation"]["id"];
  EXPECT_EQ(call("POST", cancel, "/api/v1/deployments/" + std::to_string(push_op) + "/cancel", "",
                 admin())
                .status,
            202);
  EXPECT_EQ(w_->follow(push_op)["state"], "cancelled");
  EXPECT_EQ(deliver("ping", "d-ping", R"({"zen":"Keep it logically awesome."})").status, 200);
  EXPECT_EQ(deliver("ping", "d-ping", R"({"zen":"Keep it logically awesome."})").status, 200);
  EXPECT_EQ(deliver("push", "d-other", push_payload("refs/heads/other", sha).dump()).status, 200);
  EXPECT_EQ(deliver("push", "d-unsigned", "{}", "application/json", false).status, 401);
  EXPECT_EQ(deliver("push", "", "{}").status, 400);
  EXPECT_EQ(deliver("push", "d-text", "{}", "text/plain").status, 415);
  EXPECT_EQ(deliver("push", "d-bad", "{\"ref\":").status, 400);

  // Slash commands.
  EXPECT_EQ(slack("ssl_check=1&token=x", false).status, 200);
  std::string command =
      "team_id=T1&user_id=U1&user_name=alice&command=%2Fdeploy&text=" + form_encode("help");
  EXPECT_EQ(slack(command).status, 200);
  EXPECT_EQ(slack(command, false).status, 401);
  EXPECT_EQ(slack("text=%zz").status, 400);
  const std::string form = "Content-Type: application/x-www-form-urlencoded\r\n";
  EXPECT_EQ(call("POST", "/hooks/mattermost", "/hooks/mattermost", command,
                 form + "Authorization: Token " + kMattermostToken + "\r\n")
                .status,
            200);
  EXPECT_EQ(call("POST", "/hooks/mattermost", "/hooks/mattermost", command,
                 form + "Authorization: Token wrong\r\n")
                .status,
            401);

  // The audit log and the event stream, now that they hold every kind.
  call("GET", "/api/v1/events", "/api/v1/events?limit=1000", "", admin());
  call("HEAD", "/api/v1/events", "/api/v1/events", "", admin());
  const std::string stream = "/api/v1/events/stream";
  auto events = call("GET", stream, stream + "?after=0", "", admin(), [](const std::string& got) {
    return got.find("event: operation.finished") != std::string::npos &&
           got.find("event: app.changed") != std::string::npos && got.ends_with("\n\n");
  });
  EXPECT_EQ(events.headers["content-type"], "text/event-stream");
  auto reset = call("GET", stream, stream, "", admin() + "Last-Event-ID: 99999999\r\n",
                    [](const std::string& got) { return got.find("\n\n") != std::string::npos; });
  EXPECT_NE(reset.body.find("event: reset"), std::string::npos) << reset.body;
  EXPECT_EQ(call("GET", stream, stream + "?after=-1", "", admin()).status, 400);
  EXPECT_EQ(call("GET", stream, stream + "?app=nope", "", admin()).status, 404);
  call("HEAD", stream, stream, "", admin());

  // The hooks of a daemon whose secrets are not configured (Slack's) or
  // cannot be read (GitHub's, Mattermost's).
  auto alone = start_daemon_alone(
      "unreadable", "[github]\nsecret = { file = \"" + (secrets_ / "no-such-file").string() +
                        "\" }\n[chat.mattermost]\ntoken = { file = \"" +
                        (secrets_ / "no-such-file").string() + "\" }\n");
  EXPECT_EQ(deliver("ping", "d-unreadable", "{}").status, 503);
  EXPECT_EQ(slack(command).status, 404);
  EXPECT_EQ(call("POST", "/hooks/mattermost", "/hooks/mattermost", command,
                 form + "Authorization: Token " + kMattermostToken + "\r\n")
                .status,
            503);

  EXPECT_EQ(check("responses", exchanges_), "");
}

}  // namespace
