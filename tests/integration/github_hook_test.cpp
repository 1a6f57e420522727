// GitHub's push webhook end to end: the real bluegreend with sshd, nginx
// and the demo apps, deliveries signed as GitHub signs them.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "api/hmac_signature.hpp"
#include "tests/support/github_fixtures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/world.hpp"

namespace {

using bluegreen::testing::form_encode;
using bluegreen::testing::http_connection;
using bluegreen::testing::http_reply;
using bluegreen::testing::temp_dir;
using bluegreen::testing::world;
using bluegreen::testing::world_options;
using nlohmann::json;

const std::string kSecret = "webhook secret of the demo repository";
const std::string kZeros(40, '0');

// The webhook's configuration: a secret file outside the world, which the
// world's config refers to; [app.github] is the demo app's.
struct github_setup {
  github_setup() { std::ofstream(dir / "github-secret") << kSecret << "\n"; }
  world_options options() const {
    world_options o;
    o.extra_config =
        "  [app.github]\n  repository = \"acme/demo\"\n  branch = \"main\"\n"
        "[github]\nsecret = { file = \"" +
        (dir / "github-secret").string() + "\" }\n";
    return o;
  }
  temp_dir dir;
};

json push_payload(const std::string& ref, const std::string& after, bool deleted = false) {
  return {{"ref", ref},
          {"before", kZeros},
          {"after", after},
          {"created", false},
          {"deleted", deleted},
          {"forced", false},
          {"base_ref", nullptr},
          {"head_commit", deleted ? json(nullptr) : json{{"id", after}, {"message", "release"}}},
          {"repository",
           {{"full_name", "Acme/Demo"}, {"default_branch", "main"}, {"pushed_at", 1700000000}}},
          {"pusher", {{"name", "alice"}, {"email", "alice@example.com"}}},
          {"sender", {{"login", "alice"}}}};
}

struct delivery {
  delivery(std::string event_, std::string id_, std::string body_,
           std::string content_type_ = "application/json", std::string signature_ = "")
      : event(std::move(event_)),
        id(std::move(id_)),
        body(std::move(body_)),
        content_type(std::move(content_type_)),
        signature(std::move(signature_)) {}
  std::string event;
  std::string id;  // empty: no X-GitHub-Delivery header
  std::string body;
  std::string content_type;
  // Empty: signed with kSecret; "-": no signature header.
  std::string signature;
};

http_reply deliver(world& w, const delivery& d) {
  http_connection conn("127.0.0.1", w.api_port());
  std::string req =
      "POST /hooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
      "User-Agent: GitHub-Hookshot/044aadd\r\nContent-Type: " +
      d.content_type + "\r\nContent-Length: " + std::to_string(d.body.size()) +
      "\r\nX-GitHub-Event: " + d.event + "\r\n";
  if (!d.id.empty()) req += "X-GitHub-Delivery: " + d.id + "\r\n";
  if (d.signature != "-")
    req += "X-Hub-Signature-256: " +
           (d.signature.empty() ? "sha256=" + bluegreen::api::hmac_sha256_hex(kSecret, d.body)
                                : d.signature) +
           "\r\n";
  EXPECT_TRUE(conn.send_raw(req + "\r\n" + d.body));
  auto reply = conn.read_reply(std::chrono::seconds(30));
  if (!reply) throw std::runtime_error("no answer to the delivery");
  return *reply;
}

json body_of(const http_reply& r) { return json::parse(r.body, nullptr, false); }

std::size_t operations(world& w) {
  return w.api("GET", "/api/v1/apps/demo/deployments?limit=500").body["operations"].size();
}

json audit_log(world& w) { return w.api("GET", "/api/v1/events?limit=1000").body["events"]; }

TEST(GithubHook, ASignedPushDeploysItsShaToTheIdleColourOnceEvenAfterARestart) {
  github_setup setup;
  world w(setup.options());
  std::string sha = w.commit_version("2.0.0");
  ASSERT_EQ(sha, w.sha_of("main"));

  const std::string id = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
  delivery push{"push", id, push_payload("refs/heads/main", sha).dump()};
  auto r = deliver(w, push);
  ASSERT_EQ(r.status, 202) << r.body;
  auto answer = body_of(r);
  ASSERT_EQ(answer["deployments"].size(), 1u) << r.body;
  EXPECT_EQ(answer["deployments"][0]["app"], "demo");
  std::int64_t op = answer["deployments"][0]["operation"]["id"];
  auto deployed = w.follow(op);
  EXPECT_EQ(deployed["state"], "ready") << w.log_text(op);  // promote mode manual
  EXPECT_EQ(deployed["colour"], "green");
  EXPECT_EQ(deployed["sha"], sha);
  EXPECT_EQ(deployed["ref"], sha);
  EXPECT_EQ(deployed["channel"], "github");
  EXPECT_EQ(deployed["actor"], "alice (GitHub delivery " + id + ")");
  // The audit log says who and how.
  bool recorded = false;
  for (const auto& e : audit_log(w))
    recorded = recorded ||
               (e["action"] == "operation.deploy" && e["operation_id"] == op &&
                e["actor"] == "alice (GitHub delivery " + id + ")" && e["channel"] == "github");
  EXPECT_TRUE(recorded) << audit_log(w).dump();

  // Redelivered: nothing happens, and the answer says so.
  std::size_t before = operations(w);
  auto again = deliver(w, push);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(body_of(again)["already_handled"], true) << again.body;
  EXPECT_EQ(operations(w), before);
  // Also after the daemon was killed and started again.
  w.kill_daemon();
  w.start_daemon();
  auto after_restart = deliver(w, push);
  EXPECT_EQ(after_restart.status, 200) << after_restart.body;
  EXPECT_EQ(body_of(after_restart)["already_handled"], true) << after_restart.body;
  EXPECT_EQ(operations(w), before);

  // A form-encoded delivery (signed over its raw form bytes) deploys too.
  std::string next = w.commit_version("3.0.0");
  delivery form{"push", "a-second-delivery",
                "payload=" + form_encode(push_payload("refs/heads/main", next).dump()),
                "application/x-www-form-urlencoded"};
  auto formed = deliver(w, form);
  ASSERT_EQ(formed.status, 202) << formed.body;
  auto second = w.follow(body_of(formed)["deployments"][0]["operation"]["id"]);
  EXPECT_EQ(second["state"], "ready");
  EXPECT_EQ(second["sha"], next);
}

TEST(GithubHook, OtherDeliveriesAreAnsweredAndRefusedOnesChangeNothing) {
  github_setup setup;
  world w(setup.options());
  std::string sha = w.commit_version("2.0.0");
  auto ops_before = operations(w);
  auto audit_before = audit_log(w);

  // Signatures: missing, wrong, and a body changed after signing.
  std::string body = push_payload("refs/heads/main", sha).dump();
  std::string tampered = push_payload("refs/heads/main", w.sha_of("main~1")).dump();
  for (const auto& d :
       {delivery{"push", "no-signature", body, "application/json", "-"},
        delivery{"push", "wrong-signature", body, "application/json",
                 "sha256=" + bluegreen::api::hmac_sha256_hex("another secret", body)},
        delivery{"push", "tampered", tampered, "application/json",
                 "sha256=" + bluegreen::api::hmac_sha256_hex(kSecret, body)}}) {
    auto r = deliver(w, d);
    EXPECT_EQ(r.status, 401) << d.id << ": " << r.body;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos);
  }
  EXPECT_EQ(operations(w), ops_before);
  EXPECT_EQ(audit_log(w), audit_before);
  // Refused deliveries are not remembered: signed properly, the same id deploys.
  auto signed_later = deliver(w, delivery{"push", "tampered", body});
  EXPECT_EQ(signed_later.status, 202) << signed_later.body;
  auto op = w.follow(body_of(signed_later)["deployments"][0]["operation"]["id"]);
  EXPECT_EQ(op["sha"], sha);
  ops_before = operations(w);

  // A missing delivery id is refused.
  auto no_id = deliver(w, delivery{"push", "", body});
  EXPECT_EQ(no_id.status, 400) << no_id.body;

  // Ping is answered; deleted and other branches are ignored with why.
  auto ping =
      deliver(w, delivery{"ping", "ping-1", R"({"zen":"Speak like a human.","hook_id":1})"});
  EXPECT_EQ(ping.status, 200) << ping.body;
  EXPECT_EQ(body_of(ping)["ok"], true);
  auto deleted = deliver(
      w, delivery{"push", "deleted-1", push_payload("refs/heads/main", kZeros, true).dump()});
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_NE(body_of(deleted)["ignored"].get<std::string>().find("deleted refs/heads/main"),
            std::string::npos)
      << deleted.body;
  auto other =
      deliver(w, delivery{"push", "feature-1", push_payload("refs/heads/feature", sha).dump()});
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_NE(body_of(other)["ignored"].get<std::string>().find("branch 'feature'"),
            std::string::npos)
      << other.body;
  auto tag = deliver(w, delivery{"push", "tag-1", push_payload("refs/tags/v2", sha).dump()});
  EXPECT_EQ(tag.status, 200) << tag.body;
  EXPECT_NE(body_of(tag)["ignored"].get<std::string>().find("not a branch"), std::string::npos);
  EXPECT_EQ(operations(w), ops_before);

  // A push the engine refuses (the app is locked) says why, and the
  // refusal is in the audit log.
  ASSERT_EQ(w.api("POST", "/api/v1/apps/demo/lock", R"({"reason":"release freeze"})").status, 201);
  auto locked = deliver(w, delivery{"push", "while-locked", body});
  EXPECT_EQ(locked.status, 409) << locked.body;
  EXPECT_EQ(body_of(locked)["refused"][0]["code"], "locked") << locked.body;
  EXPECT_NE(locked.body.find("release freeze"), std::string::npos);
  EXPECT_EQ(operations(w), ops_before);
  auto newest = audit_log(w)[0];
  EXPECT_EQ(newest["action"], "github.push.refused") << newest.dump();
  EXPECT_EQ(newest["actor"], "alice (GitHub delivery while-locked)");
  EXPECT_EQ(newest["channel"], "github");
  EXPECT_NE(newest["detail"].get<std::string>().find("locked"), std::string::npos);
  // The refused push is not remembered: once unlocked, GitHub's "Redeliver"
  // of the same delivery deploys.
  ASSERT_EQ(w.api("DELETE", "/api/v1/apps/demo/lock").status, 200);
  auto redelivered = deliver(w, delivery{"push", "while-locked", body});
  ASSERT_EQ(redelivered.status, 202) << redelivered.body;
  auto after_unlock = w.follow(body_of(redelivered)["deployments"][0]["operation"]["id"]);
  EXPECT_EQ(after_unlock["state"], "ready");
  EXPECT_EQ(after_unlock["sha"], sha);

  // The route's own body limit (5 MiB by default): more than the API's
  // 1 MiB is taken, more than 5 MiB is refused as soon as it is announced.
  std::string padding(1536 * 1024, 'x');
  auto large = deliver(w, delivery{"ping", "large-ping", json{{"zen", padding}}.dump()});
  EXPECT_EQ(large.status, 200) << large.body.substr(0, 300);
  http_connection conn("127.0.0.1", w.api_port());
  conn.send_raw(
      "POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "X-GitHub-Event: push\r\nX-GitHub-Delivery: too-large\r\nContent-Length: " +
      std::to_string(5 * 1024 * 1024 + 1) + "\r\n\r\n{\"ref\":");
  auto too_large = conn.read_reply();
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413) << too_large->body;

  // A new secret, taken at a reload: what the old one signs is refused.
  const std::string renewed = "the renewed webhook secret";
  std::ofstream(setup.dir / "github-secret") << renewed << "\n";
  w.daemon().signal(SIGHUP);
  ASSERT_TRUE(w.daemon().wait_for_stderr("configuration reloaded", std::chrono::seconds(20)));
  std::string ping_body = R"({"zen":"Half measures are as bad as nothing at all."})";
  auto old_secret = deliver(w, delivery{"ping", "ping-2", ping_body});
  EXPECT_EQ(old_secret.status, 401) << old_secret.body;
  auto new_secret =
      deliver(w, delivery{"ping", "ping-2", ping_body, "application/json",
                          "sha256=" + bluegreen::api::hmac_sha256_hex(renewed, ping_body)});
  EXPECT_EQ(new_secret.status, 200) << new_secret.body;
  // No secret ever reached the daemon's log.
  EXPECT_EQ(w.daemon().stderr_text().find(kSecret), std::string::npos);
  EXPECT_EQ(w.daemon().stderr_text().find(renewed), std::string::npos);
}

}  // namespace
