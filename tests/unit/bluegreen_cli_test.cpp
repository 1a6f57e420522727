// The pure parts of `bluegreen`, the API's command-line client: its command
// line, where it connects, its exit statuses, its text for people and its
// Server-Sent Events reader.
#include <gtest/gtest.h>

#include <algorithm>

#include "cli/arguments.hpp"
#include "cli/connection.hpp"
#include "cli/exit_status.hpp"
#include "cli/sse_reader.hpp"
#include "cli/text.hpp"
#include "cli/views.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::cli {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

invocation parsed(const std::vector<std::string>& args) {
  auto r = parse_arguments(args);
  if (auto* e = std::get_if<usage_error>(&r)) ADD_FAILURE() << e->message;
  return std::get_if<invocation>(&r) ? std::get<invocation>(r) : invocation{};
}

std::string refused(const std::vector<std::string>& args) {
  auto r = parse_arguments(args);
  if (auto* e = std::get_if<usage_error>(&r)) return e->message;
  return "(accepted)";
}

TEST(BluegreenArguments, EachCommandTakesItsOperandsAndOptionsAnywhere) {
  auto deploy = parsed({"deploy", "web", "v2", "--follow", "--force", "--json"});
  EXPECT_EQ(deploy.cmd, command::deploy);
  EXPECT_EQ(deploy.operands, (std::vector<std::string>{"web", "v2"}));
  EXPECT_TRUE(deploy.follow && deploy.force && deploy.json);

  auto sw = parsed({"--url", "http://h:1", "switch", "web", "--weight=green=10"});
  EXPECT_EQ(sw.cmd, command::switch_);
  EXPECT_EQ(sw.url, "http://h:1");
  EXPECT_EQ(sw.weights, (std::vector<std::pair<std::string, int>>{{"green", 10}}));

  auto task = parsed({"task", "web", "migrate", "--on", "blue"});
  EXPECT_EQ(task.operands, (std::vector<std::string>{"web", "migrate"}));
  EXPECT_EQ(task.on, "blue");

  EXPECT_EQ(parsed({"lock", "web", "release freeze"}).operands[1], "release freeze");
  EXPECT_EQ(parsed({"status"}).cmd, command::status);
  EXPECT_EQ(parsed({"logs", "42", "--follow"}).cmd, command::logs);
  EXPECT_TRUE(parsed({"rollback", "web", "--follow", "--no-watch"}).no_watch);
  EXPECT_EQ(parsed({"history", "--limit", "5"}).limit, 5);
  EXPECT_EQ(parsed({"--version"}).cmd, command::version);
  EXPECT_EQ(parsed({"deploy", "--help"}).help_topic, "deploy");
  EXPECT_EQ(parsed({"help", "switch"}).help_topic, "switch");
  // An app whose name looks like an option, after --.
  EXPECT_EQ(parsed({"status", "--", "-odd"}).operands[0], "-odd");
}

TEST(BluegreenArguments, ABadCommandLineSaysWhatIsWrongAndHowToWriteIt) {
  EXPECT_EQ(refused({"dploy", "web"}), "unknown command 'dploy'\nsee bluegreen --help");
  EXPECT_EQ(
      refused({"deploy"}),
      "deploy: an app name is missing\nusage: bluegreen deploy APP [REF] [--follow [--no-watch]] "
      "[--force]");
  EXPECT_NE(refused({"switch", "web", "--no-watch"}).find("--no-watch goes with --follow"),
            std::string::npos);
  EXPECT_NE(refused({"task", "web", "migrate", "--follow", "--no-watch"}).find("takes no --no-watch"),
            std::string::npos);
  EXPECT_NE(refused({"lock", "web", "release", "freeze"}).find("quote a reason"),
            std::string::npos);
  EXPECT_NE(
      refused({"switch", "web", "--to", "purple"}).find("--to is blue or green, not 'purple'"),
      std::string::npos);
  EXPECT_NE(refused({"switch", "web", "--weight", "green=101"}).find("COLOUR=PERCENT"),
            std::string::npos);
  EXPECT_NE(refused({"switch", "web", "--weight", "green=10", "--weight", "blue=80"})
                .find("add up to 90, not 100"),
            std::string::npos);
  EXPECT_NE(refused({"switch", "web", "--to", "blue", "--weight", "green=10"}).find("not both"),
            std::string::npos);
  EXPECT_NE(refused({"status", "--force"}).find("status takes no --force"), std::string::npos);
  EXPECT_NE(refused({"cancel", "abc"}).find("ID is an operation's number"), std::string::npos);
  EXPECT_NE(refused({"status", "--url"}).find("--url needs a value"), std::string::npos);
  EXPECT_NE(refused({"status", "--colour"}).find("unknown option '--colour'"), std::string::npos);
  EXPECT_NE(refused({"--json"}).find("a command is missing"), std::string::npos);
  EXPECT_NE(refused({}).find("a command is missing"), std::string::npos);
}

TEST(BluegreenArguments, TheUsageListsEveryCommandAndTheExitStatuses) {
  auto text = usage_text();
  for (const auto& name : command_names())
    EXPECT_NE(text.find("\n  " + name), std::string::npos) << name;
  EXPECT_NE(text.find("3 the API refused the request"), std::string::npos);
  EXPECT_NE(usage_text("switch").find("--weight COLOUR=PERCENT"), std::string::npos);
}

class BluegreenConnection : public ::testing::Test {
 protected:
  connection resolved(const connection_sources& s) {
    auto r = resolve_connection(s);
    if (auto* p = std::get_if<connection_problem>(&r)) {
      ADD_FAILURE() << p->message;
      return {};
    }
    return std::get<connection>(r);
  }
  std::string problem(const connection_sources& s) {
    auto r = resolve_connection(s);
    if (auto* p = std::get_if<connection_problem>(&r)) return p->message;
    return "(resolved)";
  }
  // A config dir whose cli.toml names `url` and the token bgt_file, and a
  // token file "option-token" (bgt_option) beside it.
  std::string config_naming(const std::string& url) {
    dir_.write("config/bluegreen/cli.toml",
               "url = \"" + url + "\"\ntoken_file = \"file-token\"\n");
    dir_.write("config/bluegreen/file-token", "bgt_file\n");
    dir_.write("option-token", "  bgt_option\n");
    return (dir_ / "config").string();
  }
  testing::temp_dir dir_;
};

TEST_F(BluegreenConnection, OptionsComeFirstThenTheEnvironmentThenTheConfigFile) {
  std::string config = config_naming("http://file:8765/");

  connection_sources all{
      "http://option:1", (dir_ / "option-token").string(), "http://env:2", "bgt_env", config,
      "/nonexistent"};
  auto c = resolved(all);
  EXPECT_EQ(c.url, "http://option:1");
  EXPECT_EQ(c.token, "bgt_option");

  connection_sources env{std::nullopt, std::nullopt, "http://env:2", "bgt_env", config, ""};
  c = resolved(env);
  EXPECT_EQ(c.url, "http://env:2");
  EXPECT_EQ(c.token, "bgt_env");

  connection_sources file{std::nullopt, std::nullopt, std::nullopt, std::nullopt, config, ""};
  c = resolved(file);
  EXPECT_EQ(c.url, "http://file:8765");  // the trailing '/' dropped
  EXPECT_EQ(c.token, "bgt_file");        // token_file relative to the config file
  EXPECT_NE(c.token_from.find("cli.toml"), std::string::npos);

  // Without XDG_CONFIG_HOME: ~/.config/bluegreen/cli.toml.
  dir_.write("home/.config/bluegreen/cli.toml", "url = \"https://home.example\"\n");
  connection_sources home{std::nullopt, std::nullopt, std::nullopt,
                          std::nullopt, std::nullopt, (dir_ / "home").string()};
  c = resolved(home);
  EXPECT_EQ(c.url, "https://home.example");
  EXPECT_EQ(c.token, std::nullopt);
}

TEST_F(BluegreenConnection, NoUrlAnywhereNamesTheThreeWays) {
  connection_sources none{
      std::nullopt, std::nullopt, std::nullopt, "bgt_x", (dir_ / "empty").string(), std::nullopt};
  auto message = problem(none);
  EXPECT_NE(message.find("--url URL"), std::string::npos) << message;
  EXPECT_NE(message.find("BLUEGREEN_URL"), std::string::npos) << message;
  EXPECT_NE(message.find((dir_ / "empty/bluegreen/cli.toml").string()), std::string::npos)
      << message;
}

TEST_F(BluegreenConnection, UnreadableTokensAndBadConfigFilesAreProblems) {
  connection_sources missing{"http://h:1", (dir_ / "nope").string(),
                             std::nullopt, std::nullopt,
                             std::nullopt, std::nullopt};
  EXPECT_NE(problem(missing).find("cannot read the token file"), std::string::npos);
  dir_.write("empty-token", "\n");
  connection_sources empty{"http://h:1", (dir_ / "empty-token").string(),
                           std::nullopt, std::nullopt,
                           std::nullopt, std::nullopt};
  EXPECT_NE(problem(empty).find("is empty"), std::string::npos);
  connection_sources bad_url{"ftp://h",    std::nullopt, std::nullopt,
                             std::nullopt, std::nullopt, std::nullopt};
  EXPECT_NE(problem(bad_url).find("not an http:// or https:// URL"), std::string::npos);

  dir_.write("c1/bluegreen/cli.toml", "url = \"http://h\"\ntoken = \"bgt_x\"\n");
  connection_sources unknown{std::nullopt, std::nullopt,           std::nullopt,
                             std::nullopt, (dir_ / "c1").string(), std::nullopt};
  EXPECT_NE(problem(unknown).find("unknown key 'token'"), std::string::npos);
  dir_.write("c2/bluegreen/cli.toml", "url = [\n");
  connection_sources broken{std::nullopt, std::nullopt,           std::nullopt,
                            std::nullopt, (dir_ / "c2").string(), std::nullopt};
  EXPECT_NE(problem(broken).find("cli.toml:"), std::string::npos);
  // The broken file is not read when the options and environment say all.
  connection_sources enough{std::nullopt, std::nullopt,           "http://h:1",
                            "bgt_y",      (dir_ / "c2").string(), std::nullopt};
  EXPECT_EQ(resolved(enough).token, "bgt_y");
}

TEST_F(BluegreenConnection, ATokenNeverGoesToAUrlNamedBeforeIt) {
  std::string config = config_naming("https://file.example");

  // --url with the environment's token, or with the file's.
  connection_sources flag_env{"https://other.example", std::nullopt, "https://env.example",
                              "bgt_env", config, std::nullopt};
  auto message = problem(flag_env);
  EXPECT_NE(message.find("from --url but the token from BLUEGREEN_TOKEN"), std::string::npos)
      << message;
  EXPECT_NE(message.find("--token-file"), std::string::npos) << message;
  connection_sources flag_file{"https://other.example", std::nullopt, std::nullopt,
                               std::nullopt, config, std::nullopt};
  message = problem(flag_file);
  EXPECT_NE(message.find("from --url but the token from token_file in"), std::string::npos)
      << message;
  EXPECT_NE(message.find("--token-file"), std::string::npos) << message;
  // BLUEGREEN_URL with the file's token.
  connection_sources env_file{std::nullopt, std::nullopt, "https://env.example",
                              std::nullopt, config, std::nullopt};
  message = problem(env_file);
  EXPECT_NE(message.find("from BLUEGREEN_URL but the token from token_file in"),
            std::string::npos)
      << message;

  // Allowed: the token's own place names the same URL, or --token-file is
  // given, or there is no token at all.
  connection_sources same{"https://env.example/", std::nullopt, "https://env.example",
                          "bgt_env", config, std::nullopt};
  EXPECT_EQ(resolved(same).token, "bgt_env");
  connection_sources same_file{std::nullopt, std::nullopt, "https://file.example",
                               std::nullopt, config, std::nullopt};
  EXPECT_EQ(resolved(same_file).token, "bgt_file");
  connection_sources with_file{"https://other.example", (dir_ / "option-token").string(),
                               "https://env.example", "bgt_env", config, std::nullopt};
  EXPECT_EQ(resolved(with_file).token, "bgt_option");
  connection_sources no_token{"https://other.example", std::nullopt, std::nullopt,
                              std::nullopt, (dir_ / "none").string(), std::nullopt};
  EXPECT_EQ(resolved(no_token).token, std::nullopt);
}

TEST_F(BluegreenConnection, ATokenOverPlainHttpToAnotherHostIsWarnedAbout) {
  dir_.write("token", "bgt_x\n");
  auto with_token = [&](const std::string& url) {
    return resolved({url, (dir_ / "token").string(), std::nullopt, std::nullopt,
                     (dir_ / "none").string(), std::nullopt});
  };
  auto remote = with_token("http://deploy.example.com:8765");
  EXPECT_NE(remote.warning.find("deploy.example.com over plain http://"), std::string::npos)
      << remote.warning;
  EXPECT_EQ(remote.warning.find("bgt_x"), std::string::npos) << "never the token itself";
  // A name that only starts like a loopback address is any other name.
  EXPECT_NE(with_token("http://127.example.com").warning, "");
  for (const char* url : {"https://deploy.example.com", "http://127.0.0.1:8765",
                          "http://localhost:8765", "http://[::1]:8765", "http://127.9.8.7",
                          "http://[::ffff:127.0.0.1]:8765"})
    EXPECT_EQ(with_token(url).warning, "") << url;
  auto no_token = resolved({"http://deploy.example.com", std::nullopt, std::nullopt, std::nullopt,
                            (dir_ / "none").string(), std::nullopt});
  EXPECT_EQ(no_token.warning, "");
}

TEST(BluegreenExitStatus, FollowsTheDocumentedTable) {
  EXPECT_EQ(exit_for_status(200), exit_ok);
  EXPECT_EQ(exit_for_status(202), exit_ok);
  EXPECT_EQ(exit_for_status(409), exit_refused);
  EXPECT_EQ(exit_for_status(404), exit_refused);
  EXPECT_EQ(exit_for_status(400), exit_refused);
  EXPECT_EQ(exit_for_status(401), exit_unreachable);
  EXPECT_EQ(exit_for_status(403), exit_unreachable);
  EXPECT_EQ(exit_for_status(500), exit_server);
  EXPECT_EQ(exit_for_status(503), exit_server);
  EXPECT_EQ(exit_for_error(net::error_kind::connect), exit_unreachable);
  EXPECT_EQ(exit_for_error(net::error_kind::dns), exit_unreachable);
  EXPECT_EQ(exit_for_error(net::error_kind::tls), exit_unreachable);
  EXPECT_EQ(exit_for_error(net::error_kind::timeout), exit_unreachable);
  EXPECT_EQ(exit_for_error(net::error_kind::protocol), exit_server);
  EXPECT_EQ(exit_for_state("succeeded"), exit_ok);
  EXPECT_EQ(exit_for_state("ready"), exit_ok);
  for (const char* state : {"failed", "rolled_back", "interrupted", "cancelled"})
    EXPECT_EQ(exit_for_state(state), exit_operation_failed) << state;
}

TEST(BluegreenText, ServerTextCannotControlTheTerminal) {
  EXPECT_EQ(sanitise("plain text, \xc3\xa9t\xc3\xa9"), "plain text, \xc3\xa9t\xc3\xa9");
  EXPECT_EQ(sanitise("red\x1b[31mX\r\nnext\x7f"), "red\\x1B[31mX\\x0D\\x0Anext\\x7F");
  EXPECT_EQ(sanitise("a\tb"), "a b");
  EXPECT_EQ(sanitise("\xc2\x9b"
                     "2J"),
            "\\u{009B}2J");  // C1 CSI
  EXPECT_EQ(sanitise("abc\xe2\x80\xae"
                     "fed"),
            "abc\\u{202E}fed");  // right-to-left override
  EXPECT_EQ(sanitise("bad \xff\xfe"), "bad \\xFF\\xFE");
}

TEST(BluegreenText, JsonOutputEscapesEveryNonAsciiCharacter) {
  nlohmann::json body = {{"text", "csi \xc2\x9b"
                                   "2J, rlo \xe2\x80\xae, \xc3\xa9"}};
  std::string line = json_line(body);
  EXPECT_EQ(line, R"({"text":"csi \u009b2J, rlo \u202e, \u00e9"})");
  EXPECT_TRUE(std::all_of(line.begin(), line.end(),
                          [](char c) { return c >= 0x20 && c < 0x7f; }))
      << line;
  EXPECT_EQ(nlohmann::json::parse(line), body);
}

TEST(BluegreenText, OnlyTheDaemonsAppNamesAreOfferedToTheShell) {
  for (const char* name : {"demo", "keep-the_score2", "0day", "a"}) EXPECT_TRUE(is_app_name(name));
  EXPECT_TRUE(is_app_name(std::string(63, 'x')));
  EXPECT_FALSE(is_app_name(std::string(64, 'x')));
  for (const char* name : {"", "$(touch x)", "`id`", "a;b", "Demo", "-x", "_x", "a b", "a*", "a:b"})
    EXPECT_FALSE(is_app_name(name)) << name;
}

TEST(BluegreenText, ColourOnlyOnATerminalWithoutNoColorOrADumbTerm) {
  EXPECT_TRUE(colour_wanted(true, nullptr, "xterm"));
  EXPECT_TRUE(colour_wanted(true, "", "xterm"));
  EXPECT_FALSE(colour_wanted(true, "1", "xterm"));
  EXPECT_FALSE(colour_wanted(false, nullptr, "xterm"));
  EXPECT_FALSE(colour_wanted(true, nullptr, "dumb"));
  EXPECT_EQ(style(false).word("green"), "green");
  EXPECT_EQ(style(true).word("green"), "\x1b[32mgreen\x1b[0m");
}

TEST(BluegreenText, TablesAlignOnVisibleWidth) {
  style painted(true);
  auto text = table({{"APP", "LIVE", "NOTE"},
                     {"web", painted.word("green"), "-"},
                     {"\xc3\xa9t\xc3\xa9", "blue", ""}});
  EXPECT_EQ(text,
            "APP  LIVE   NOTE\n"
            "web  \x1b[32mgreen\x1b[0m  -\n"
            "\xc3\xa9t\xc3\xa9  blue\n");
}

TEST(BluegreenText, TimesAreRelativeAndDurationsShort) {
  auto now = *parse_utc("2026-11-22T12:00:00.000Z");
  EXPECT_EQ(relative_time("2026-11-22T11:59:58.500Z", now), "just now");
  EXPECT_EQ(relative_time("2026-11-22T11:59:18.000Z", now), "42 s ago");
  EXPECT_EQ(relative_time("2026-11-22T11:57:00.000Z", now), "3 min ago");
  EXPECT_EQ(relative_time("2026-11-22T07:00:00Z", now), "5 h ago");
  EXPECT_EQ(relative_time("2026-11-19T12:00:00.000Z", now), "3 d ago");
  EXPECT_EQ(relative_time("2026-11-22T12:03:00.000Z", now), "in 3 min");
  EXPECT_EQ(relative_time("yesterday", now), "-");
  EXPECT_EQ(duration_text(842ms), "0.8 s");
  EXPECT_EQ(duration_text(42s), "42 s");
  EXPECT_EQ(duration_text(185s), "3 min 5 s");
  EXPECT_EQ(duration_text(7440s), "2 h 4 min");
}

TEST(BluegreenSse, AnEndlessLineOrMessageStopsTheReaderAtOneMebibyte) {
  // A line that never ends, arriving in pieces: memory stays bounded.
  sse_reader endless;
  EXPECT_TRUE(endless.feed("event: line\ndata: ").empty());
  std::string piece(64 * 1024, 'x');
  size_t fed = 0;
  while (!endless.overflowed() && fed < 4 * sse_reader::max_message_bytes) {
    EXPECT_TRUE(endless.feed(piece).empty());
    fed += piece.size();
  }
  EXPECT_TRUE(endless.overflowed());
  EXPECT_LE(fed, sse_reader::max_message_bytes + piece.size());
  EXPECT_TRUE(endless.feed("\n\n").empty()) << "nothing after the overflow";

  // Many short data lines of one message add up the same way.
  sse_reader many;
  std::string line = "data: " + std::string(1000, 'y') + "\n";
  for (int i = 0; i < 1100 && !many.overflowed(); ++i) EXPECT_TRUE(many.feed(line).empty());
  EXPECT_TRUE(many.overflowed());

  // Below the limit, a long message comes out whole.
  sse_reader big;
  auto events = big.feed("data: " + std::string(1000 * 1000, 'z') + "\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data.size(), 1000u * 1000u);
  EXPECT_FALSE(big.overflowed());
}

TEST(BluegreenSse, MessagesCutAnywhereComeOutWholeAndInOrder) {
  std::string stream =
      "id: 7\nevent: line\ndata: {\"text\":\"a\"}\n\n: keep-alive\n\n"
      "event: end\r\ndata: one\r\ndata: two\r\n\r\n";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    sse_reader reader;
    auto first = reader.feed(std::string_view(stream).substr(0, cut));
    auto rest = reader.feed(std::string_view(stream).substr(cut));
    first.insert(first.end(), rest.begin(), rest.end());
    ASSERT_EQ(first.size(), 2u) << cut;
    EXPECT_EQ(first[0].id, "7");
    EXPECT_EQ(first[0].event, "line");
    EXPECT_EQ(first[0].data, "{\"text\":\"a\"}");
    EXPECT_EQ(first[1].event, "end");
    EXPECT_EQ(first[1].data, "one\ntwo");
    EXPECT_EQ(reader.comments(), 1);
  }
  sse_reader unfinished;
  EXPECT_TRUE(unfinished.feed("event: line\ndata: x\n").empty());
}

TEST(BluegreenViews, AFollowedLogMarksHostsAndStderrAndEndsWithStateAndDuration) {
  style plain(false);
  EXPECT_EQ(
      log_line_view(json{{"host", nullptr}, {"stream", "event"}, {"text", "step 1/2"}}, plain),
      "step 1/2");
  EXPECT_EQ(
      log_line_view(json{{"host", "h1"}, {"stream", "stdout"}, {"text", "now at 1.1"}}, plain),
      "h1| now at 1.1");
  EXPECT_EQ(log_line_view(json{{"host", "h1"}, {"stream", "stderr"}, {"text", "no\x1b[2J"}}, plain),
            "h1 stderr| no\\x1B[2J");
  auto now = *parse_utc("2026-11-22T12:00:10.000Z");
  json failed = {{"id", 4},
                 {"app", "web"},
                 {"state", "failed"},
                 {"started_at", "2026-11-22T12:00:00.000Z"},
                 {"finished_at", "2026-11-22T12:00:02.500Z"},
                 {"error", "step 2 failed on 1 of 3 host(s)"},
                 {"error_code", "step_failed"}};
  EXPECT_EQ(operation_end_view(failed, plain, now),
            "=> failed in 2.5 s: step 2 failed on 1 of 3 host(s) (step_failed)");
  json ready = {{"id", 5},
                {"app", "web"},
                {"state", "ready"},
                {"started_at", "2026-11-22T12:00:06.000Z"},
                {"finished_at", nullptr}};
  EXPECT_EQ(operation_end_view(ready, plain, now),
            "=> ready in 4.0 s (switch to send it traffic: bluegreen switch web)");
}

TEST(BluegreenViews, TheAppsTableSaysColoursInWordsAndLocks) {
  json body = json::parse(R"({"apps":[{"name":"web","live":"green","routing":"green:100",
    "drifted":false,"recovering":false,
    "blue":{"ref":"v41","sha":"0c4f9d8a2b7e61f3","health":"ok","verified":true,"deployed_at":"2026-11-22T09:00:00.000Z"},
    "green":{"ref":"main","sha":"8d2e4b6f0a1c3e5d","health":"failing","verified":true,"deployed_at":"2026-11-22T11:57:00.000Z"},
    "locks":{"manual":{"holder":"alice","reason":"release freeze"},"operation":null}},
    {"name":"api","live":null,"routing":null,"drifted":true,"drift_reason":"nginx routes to green",
    "blue":{"ref":null,"sha":null,"health":"ok","verified":false,"deployed_at":null},
    "green":{"ref":null,"sha":null,"health":null,"verified":false,"deployed_at":null},
    "locks":{"manual":null,"operation":null}}]})");
  auto text = apps_view(body, style(false), *parse_utc("2026-11-22T12:00:00.000Z"));
  EXPECT_EQ(text,
            "APP  LIVE   ROUTING    BLUE              GREEN                  DEPLOYED   LOCK       "
            "            NOTE\n"
            "web  green  green:100  v41@0c4f9d8, ok   main@8d2e4b6, failing  3 min ago  alice: "
            "release freeze  -\n"
            "api  -      -          not deployed, ok  not deployed           -          -          "
            "            drifted: nginx routes to green\n");
}

}  // namespace
}  // namespace bluegreen::cli
