// Fuzzes what a GitHub webhook delivery is read into (api/github_push.cpp):
// the JSON of a JSON or a form body, the push's fields, and the apps a push
// deploys. Input: the first byte picks the content type (even: JSON, odd:
// a form), the rest is the body. An accepted push always carries a commit id
// that is a valid ref, and its plan either names apps whose repository and
// branch are the push's, or says why it deploys nothing.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/github_push.hpp"
#include "daemon/config.hpp"
#include "daemon/engine/refs.hpp"
#include "daemon/github/push_plan.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/support/github_fixtures.hpp"

namespace {

using namespace bluegreen;

const daemon::config& apps() {
  static const daemon::config cfg = [] {
    auto loaded = daemon::parse_config(testing::github_apps_config_text(), "fuzz.toml");
    FUZZ_CHECK(loaded.value);
    return *loaded.value;
  }();
  return cfg;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto payload = api::github_payload(
      data[0] % 2 ? "application/x-www-form-urlencoded" : "application/json", body);
  if (!payload) {
    FUZZ_CHECK(payload.error().code == "invalid_payload" && !payload.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(payload->is_object());
  auto push = api::parse_github_push(*payload);
  if (!push) {
    FUZZ_CHECK(push.error().code == "invalid_payload" && !push.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(engine::is_commit_id(push->after));
  FUZZ_CHECK(!engine::check_ref(push->after));
  auto plan = github::plan_push(*push, apps());
  FUZZ_CHECK(plan.apps.empty() != plan.ignored.empty());
  for (const auto& name : plan.apps) {
    const auto* app = apps().find_app(name);
    FUZZ_CHECK(app && app->github);
    FUZZ_CHECK(lower(app->github->repository) == lower(push->repository));
    FUZZ_CHECK(!push->deleted && push->ref == "refs/heads/" + app->github->branch);
  }
  return 0;
}
