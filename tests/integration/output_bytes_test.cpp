// What a task prints reaches the API as it should: bytes that are not UTF-8
// and characters cut by the long-line limit stay readable through every
// endpoint, and a secret printed across the long-line cut is redacted whole.
// The real binary, sshd and nginx (tests/support/world).
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>

#include "daemon/utf8.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/world.hpp"

namespace {

using bluegreen::testing::temp_dir;
using bluegreen::testing::world;
using nlohmann::json;

constexpr std::string_view kSecret = "CANARY-7f3e9a1b2c4d";
const std::string kReplacement = "\xef\xbf\xbd";

// A task whose lines are `\377\376`; 16,383 bytes then a two-byte
// character across the 16 KiB cut; 16,375 bytes then the secret across the
// cut. Appended to the world's configuration, whose last table is
// `[app.tasks]`.
std::string noisy_task(const temp_dir& secrets) {
  return "  noisy = { command = \"printf '\\\\377\\\\376\\\\n'; "
         "head -c 16383 /dev/zero | tr '\\\\0' x; printf '\\\\303\\\\251 after\\\\n'; "
         "head -c 16375 /dev/zero | tr '\\\\0' y; printf '%s tail\\\\n' \\\"$CANARY\\\"\", "
         "on = \"idle\", hosts = \"one\" }\n"
         "  [app.secrets]\n  CANARY = { file = \"" +
         secrets.write("canary", std::string(kSecret)).string() + "\" }\n";
}

TEST(OutputBytes, TaskOutputIsReadableAndItsSecretRedactedEverywhere) {
  temp_dir secrets;
  world w;
  // An answer means the event loop runs, so SIGHUP is handled.
  ASSERT_EQ(w.api("GET", "/api/v1/apps").status, 200);
  {
    std::ofstream config(w.root() / "bluegreen.toml", std::ios::app);
    config << noisy_task(secrets);
  }
  w.daemon().signal(SIGHUP);
  ASSERT_TRUE(w.daemon().wait_for_stderr("configuration reloaded", std::chrono::seconds(20)))
      << w.daemon().stderr_text();
  auto r = w.api("POST", "/api/v1/apps/demo/tasks/noisy", "{}");
  ASSERT_EQ(r.status, 202) << r.body.dump();
  std::int64_t id = r.body["operation"]["id"];

  // The follow stream: every line valid JSON, then its end event.
  std::vector<json> streamed;
  auto done = w.follow(id, [&](const json& line) { streamed.push_back(line); });
  ASSERT_TRUE(done.is_object()) << done;
  EXPECT_EQ(done["state"], "succeeded") << done.dump();
  for (const auto& line : streamed) EXPECT_TRUE(line.is_object()) << "a line was not JSON";

  auto one = w.api("GET", "/api/v1/deployments/" + std::to_string(id));
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body["operation"]["state"], "succeeded");
  auto list = w.api("GET", "/api/v1/apps/demo/deployments");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body["operations"][0]["id"], id);

  auto log = w.api("GET", "/api/v1/deployments/" + std::to_string(id) + "/log");
  ASSERT_EQ(log.status, 200);
  std::string output;  // stdout as printed, pieces joined
  std::vector<std::string> texts;
  for (const auto& line : log.body["lines"]) {
    std::string text = line["text"];
    texts.push_back(text);
    if (line["stream"] == "stdout") output += text + "|";
    EXPECT_EQ(text.find("CANARY-"), std::string::npos) << text.substr(0, 40);
    EXPECT_EQ(text.find("7f3e9a1b2c4d"), std::string::npos) << text.substr(0, 40);
    EXPECT_EQ(text.find(kSecret.substr(kSecret.size() - 4)), std::string::npos);
  }
  EXPECT_NE(std::find(texts.begin(), texts.end(), kReplacement + kReplacement), texts.end());
  // The character before the cut moved to the second piece, whole.
  EXPECT_NE(output.find(std::string(16383, 'x') + "|\xc3\xa9 after|"), std::string::npos);
  // The secret moved whole to the second piece, and was redacted there.
  EXPECT_NE(output.find(std::string(16375, 'y') + "|*** tail|"), std::string::npos);
  EXPECT_EQ(w.daemon().stderr_text().find(std::string(kSecret)), std::string::npos);

  // A path that is not UTF-8 is refused, and the journal stays text.
  auto raw =
      bluegreen::testing::http_request(w.api_port(), "GET", "/api/v1/apps/\xff\xfe", w.token());
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 400) << raw->body;
  EXPECT_EQ(w.api("GET", "/api/v1/apps/%ff").status, 400);
  ASSERT_TRUE(w.daemon().wait_for_stderr("/api/v1/apps/%ff", std::chrono::seconds(20)));
  std::string journal = w.daemon().stderr_text();
  // The access log writes the bytes as escapes.
  EXPECT_NE(journal.find("/api/v1/apps/\\xff\\xfe"), std::string::npos);
  EXPECT_TRUE(bluegreen::daemon::utf8::is_valid(journal));
}

}  // namespace
