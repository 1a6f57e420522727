// GitHub webhook deliveries read without acting on them: the JSON of JSON
// and form bodies, the push's fields, and which apps a push deploys.
#include "api/github_push.hpp"

#include <gtest/gtest.h>

#include "api/hmac_signature.hpp"
#include "daemon/config.hpp"
#include "daemon/github/push_plan.hpp"
#include "tests/support/github_fixtures.hpp"

namespace bluegreen::api {
namespace {

using nlohmann::json;

const std::string kSha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const std::string kZeros(40, '0');

// As GitHub sends it (trimmed): note the Unix times beside ISO text.
json push_payload(const std::string& ref = "refs/heads/main", const std::string& after = kSha) {
  return json::parse(R"({
    "ref": ")" + ref +
                     R"(",
    "before": "0000000000000000000000000000000000000000",
    "after": ")" + after +
                     R"(",
    "created": true, "deleted": false, "forced": false, "base_ref": null,
    "compare": "https://github.com/Acme/Shop/compare/main",
    "commits": [{"id": ")" +
                     kSha + R"(", "message": "Ship it", "distinct": true}],
    "head_commit": {"id": ")" +
                     kSha + R"(", "message": "Ship it",
                    "author": {"name": "Alice", "email": "alice@example.com"}},
    "repository": {"id": 1296269, "name": "Shop", "full_name": "Acme/Shop",
                   "default_branch": "main", "created_at": 1700000000,
                   "pushed_at": 1700000100, "updated_at": "2026-11-30T10:00:00Z"},
    "pusher": {"name": "alice", "email": "alice@example.com"},
    "sender": {"login": "alice", "id": 1}
  })");
}

TEST(GithubPush, PublishedSignatureVectorHolds) {
  // integrations.md §4: GitHub's documented example.
  std::string signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  EXPECT_FALSE(check_hmac_sha256("It's a Secret to Everybody", "Hello, World!", &signature));
}

TEST(GithubPush, ReadsAJsonBody) {
  auto payload = github_payload("application/json", push_payload().dump());
  ASSERT_TRUE(payload) << payload.error().message;
  auto push = parse_github_push(*payload);
  ASSERT_TRUE(push) << push.error().message;
  EXPECT_EQ(push->ref, "refs/heads/main");
  EXPECT_EQ(push->after, kSha);
  EXPECT_FALSE(push->deleted);
  EXPECT_EQ(push->repository, "Acme/Shop");
  EXPECT_EQ(push->pusher, "alice");
}

TEST(GithubPush, ReadsTheJsonOfAFormBodysPayloadField) {
  std::string body = "payload=" + testing::form_encode(push_payload().dump());
  for (const char* type :
       {"application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=utf-8"}) {
    auto payload = github_payload(type, body);
    ASSERT_TRUE(payload) << payload.error().message;
    auto push = parse_github_push(*payload);
    ASSERT_TRUE(push) << push.error().message;
    EXPECT_EQ(push->after, kSha);
    EXPECT_EQ(push->repository, "Acme/Shop");
  }
}

TEST(GithubPush, RefusesBodiesThatCarryNoJsonObject) {
  struct bad {
    std::string type, body, code, says;
  } cases[] = {
      {"application/json", "{\"ref\": ", "invalid_payload", "not valid JSON"},
      {"application/json", "[1, 2]", "invalid_payload", "JSON object"},
      {"application/json", "", "invalid_payload", "not valid JSON"},
      {"application/x-www-form-urlencoded", "other=1", "invalid_payload", "no \"payload\""},
      {"application/x-www-form-urlencoded", "payload=%7", "invalid_payload", "percent-encoding"},
      {"application/x-www-form-urlencoded", "payload=%7B", "invalid_payload", "not valid JSON"},
      {"text/plain", "{}", "unsupported_content_type", "application/json"},
      {"", "{}", "unsupported_content_type", "application/json"},
  };
  for (const auto& c : cases) {
    auto payload = github_payload(c.type, c.body);
    ASSERT_FALSE(payload) << c.type << " " << c.body;
    EXPECT_EQ(payload.error().code, c.code) << c.body;
    EXPECT_NE(payload.error().message.find(c.says), std::string::npos) << payload.error().message;
  }
}

// A signed body of deeply nested brackets is refused before it is parsed;
// brackets inside strings do not count.
TEST(GithubPush, RefusesJsonNestedTooDeeply) {
  std::string deep =
      std::string(kMaxPayloadDepth + 1, '[') + std::string(kMaxPayloadDepth + 1, ']');
  auto refused = github_payload("application/json", R"({"a":)" + deep + "}");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "invalid_payload");
  EXPECT_NE(refused.error().message.find("deeper than 64"), std::string::npos)
      << refused.error().message;
  std::string millions(2'000'000, '[');
  EXPECT_FALSE(github_payload("application/json", millions));

  std::string at_limit =
      std::string(kMaxPayloadDepth - 1, '[') + std::string(kMaxPayloadDepth - 1, ']');
  EXPECT_TRUE(github_payload("application/json", R"({"a":)" + at_limit + "}"));
  EXPECT_TRUE(
      github_payload("application/json", R"({"a":")" + std::string(1000, '[') + R"(\"[{"})"));
}

TEST(GithubPush, ADeletedBranchIsDeleted) {
  auto flagged = push_payload();
  flagged["deleted"] = true;
  flagged["after"] = kZeros;
  flagged["head_commit"] = nullptr;
  auto push = parse_github_push(flagged);
  ASSERT_TRUE(push) << push.error().message;
  EXPECT_TRUE(push->deleted);
  // All zeros alone says so too, and the flag alone.
  auto zeros = push_payload("refs/heads/main", kZeros);
  zeros.erase("deleted");
  EXPECT_TRUE(parse_github_push(zeros)->deleted);
  auto flag_only = push_payload();
  flag_only["deleted"] = true;
  EXPECT_TRUE(parse_github_push(flag_only)->deleted);
}

TEST(GithubPush, RefusesMissingFieldsAndWrongTypesNamingTheField) {
  auto without = [](const char* key) {
    auto p = push_payload();
    p.erase(key);
    return p;
  };
  auto with = [](const char* key, json value) {
    auto p = push_payload();
    p[key] = std::move(value);
    return p;
  };
  auto repository_with = [](json full_name) {
    auto p = push_payload();
    p["repository"]["full_name"] = std::move(full_name);
    return p;
  };
  struct bad {
    json payload;
    std::string says;
  } cases[] = {
      {without("ref"), "\"ref\""},
      {without("after"), "\"after\""},
      {without("repository"), "\"repository\""},
      {with("ref", 42), "\"ref\" must be a string"},
      {with("after", json::array()), "\"after\" must be a string"},
      {with("after", "main"), "40 (SHA-1) or 64 (SHA-256) hex digits"},
      {with("after", kSha + "0"), "40 (SHA-1) or 64 (SHA-256) hex digits"},
      {with("after", kSha.substr(0, 39) + "g"), "40 (SHA-1) or 64 (SHA-256) hex digits"},
      {with("deleted", "yes"), "\"deleted\" must be true or false"},
      {with("repository", "Acme/Shop"), "\"repository\" must be an object"},
      {repository_with(nullptr), "\"repository.full_name\" must be a string"},
      {repository_with(7), "\"repository.full_name\" must be a string"},
      {with("pusher", "alice"), "\"pusher\" must be an object"},
      {with("pusher", json{{"name", 1}}), "\"pusher.name\" must be a string"},
      {json::array(), "JSON object"},
  };
  for (const auto& c : cases) {
    auto push = parse_github_push(c.payload);
    ASSERT_FALSE(push) << c.payload.dump();
    EXPECT_EQ(push.error().code, "invalid_payload");
    EXPECT_NE(push.error().message.find(c.says), std::string::npos) << push.error().message;
  }
}

TEST(GithubPush, PusherFallsBackToTheSenderAndUpperCaseShaIsLowered) {
  auto p = push_payload("refs/heads/main", "6113728F27AE82C7B1A177C8D03F9E96E0ADF246");
  p.erase("pusher");
  auto push = parse_github_push(p);
  ASSERT_TRUE(push) << push.error().message;
  EXPECT_EQ(push->pusher, "alice");
  EXPECT_EQ(push->after, kSha);
  // A SHA-256 repository's commit ids have 64 hex digits.
  std::string sha256(64, 'c');
  auto long_id = parse_github_push(push_payload("refs/heads/main", sha256));
  ASSERT_TRUE(long_id) << long_id.error().message;
  EXPECT_EQ(long_id->after, sha256);
}

// Three apps: two deploy Acme/Shop (main and staging), one another repository.
daemon::config apps_config() {
  auto loaded = daemon::parse_config(testing::github_apps_config_text(), "t.toml");
  if (!loaded.value) {
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
    return {};
  }
  return *loaded.value;
}

github::push push_to(const std::string& ref, const std::string& repository = "Acme/Shop") {
  return github::push{ref, kSha, false, repository, "alice"};
}

TEST(GithubPush, APushDeploysTheAppsOfItsRepositoryAndBranch) {
  auto cfg = apps_config();
  auto main = github::plan_push(push_to("refs/heads/main"), cfg);
  EXPECT_EQ(main.apps, std::vector<std::string>{"shop"}) << main.ignored;
  EXPECT_TRUE(main.ignored.empty());
  auto staging = github::plan_push(push_to("refs/heads/staging", "ACME/SHOP"), cfg);
  EXPECT_EQ(staging.apps, std::vector<std::string>{"shop-staging"}) << staging.ignored;
}

TEST(GithubPush, OtherBranchesTagsDeletionsAndRepositoriesDeployNothingAndSayWhy) {
  auto cfg = apps_config();
  auto deleted = push_to("refs/heads/main");
  deleted.deleted = true;
  deleted.after = kZeros;
  struct ignored_case {
    github::push push;
    std::string says;
  } cases[] = {
      {push_to("refs/heads/feature"), "branch 'feature' of Acme/Shop deploys no app"},
      {push_to("refs/tags/v1.0"), "refs/tags/v1.0 is not a branch"},
      {deleted, "deleted refs/heads/main"},
      {push_to("refs/heads/main", "acme/other"), "no app deploys repository acme/other"},
  };
  for (const auto& c : cases) {
    auto plan = github::plan_push(c.push, cfg);
    EXPECT_TRUE(plan.apps.empty()) << c.push.ref;
    EXPECT_NE(plan.ignored.find(c.says), std::string::npos) << plan.ignored;
  }
  // The reason names the branches that do deploy.
  auto feature = github::plan_push(push_to("refs/heads/feature"), cfg);
  EXPECT_NE(feature.ignored.find("shop deploys 'main'"), std::string::npos) << feature.ignored;
  EXPECT_NE(feature.ignored.find("shop-staging deploys 'staging'"), std::string::npos);
}

TEST(GithubPush, BranchDefaultsToTheAppsDefaultRef) {
  auto cfg = apps_config();
  ASSERT_EQ(cfg.apps.size(), 3u);
  ASSERT_TRUE(cfg.apps[0].github);
  EXPECT_EQ(cfg.apps[0].github->branch, cfg.apps[0].deploy.default_ref);
}

}  // namespace
}  // namespace bluegreen::api
