#include "daemon/cli.hpp"

#include <gtest/gtest.h>

namespace bluegreen::daemon {
namespace {

result<command_line> parse(std::vector<std::string> args, std::string* error = nullptr) {
  auto r = parse_command_line(args);
  if (error) *error = r ? "" : r.error().message;
  return r;
}

TEST(CommandLine, RunIsTheDefault) {
  auto cl = parse({"--config", "/tmp/x.toml", "--log-level", "debug"});
  ASSERT_TRUE(cl);
  EXPECT_EQ(cl->cmd, command_line::command::run);
  EXPECT_EQ(cl->config_path, "/tmp/x.toml");
  EXPECT_EQ(cl->log_level, "debug");
}

TEST(CommandLine, TokenCreateNeedsAScope) {
  std::string error;
  EXPECT_FALSE(parse({"token", "create", "ci"}, &error));
  EXPECT_NE(error.find("--scope"), std::string::npos);
  auto cl = parse({"token", "create", "ci", "--scope", "deploy"});
  ASSERT_TRUE(cl);
  EXPECT_EQ(cl->cmd, command_line::command::token_create);
  EXPECT_EQ(cl->token_name, "ci");
  EXPECT_EQ(cl->token_scope, scope::deploy);
}

TEST(CommandLine, RefusesWhatItDoesNotKnow) {
  std::string error;
  EXPECT_FALSE(parse({"--frobnicate"}, &error));
  EXPECT_EQ(error, "unknown option --frobnicate");
  EXPECT_FALSE(parse({"deploy"}, &error));
  EXPECT_FALSE(parse({"token", "create", "x", "--scope", "root"}, &error));
  EXPECT_NE(error.find("expected metrics, read, deploy or admin"), std::string::npos);
  EXPECT_FALSE(parse({"check-config", "--scope", "read"}, &error));
  EXPECT_FALSE(parse({"--config"}, &error));
  EXPECT_FALSE(parse({"--log-level", "loud"}, &error));
  EXPECT_NE(error.find("unknown log level \"loud\""), std::string::npos);
  EXPECT_EQ(parse({"--log-level=warn"})->log_level, "warn");
}

TEST(CommandLine, ABadCommandLineIsAUsageFailureSayingWhatIsWrong) {
  auto expect_usage = [](std::vector<std::string> args, const std::string& message) {
    auto r = parse_command_line(args);
    ASSERT_FALSE(r.ok()) << args[0];
    EXPECT_EQ(r.error().what, failure::kind::invalid);
    EXPECT_EQ(r.error().code, "usage");
    EXPECT_EQ(r.error().message, message);
  };
  expect_usage({"--config"}, "--config needs a value");
  expect_usage({"deploy"}, "unknown command \"deploy\"");
  expect_usage({"token", "create", "ci"},
               "token create needs --scope metrics, read, deploy or admin");
  expect_usage({"token", "revoke"}, "usage: bluegreend token revoke NAME");
  expect_usage({"token", "frob"}, "usage: bluegreend token create|list|revoke ...");
  expect_usage({"check-config", "--scope", "read"}, "--scope only goes with token create");
  expect_usage({"run", "extra"}, "usage: bluegreend run [--config FILE]");
}

TEST(CommandLine, HelpAndVersion) {
  EXPECT_EQ(parse({"--help"})->cmd, command_line::command::help);
  EXPECT_EQ(parse({"check-config", "--version"})->cmd, command_line::command::version);
  EXPECT_NE(usage_text().find("token create NAME --scope"), std::string::npos);
}

}  // namespace
}  // namespace bluegreen::daemon
