// The slash command routes' verifiers: Slack's request signature (with its
// window and replays) and Mattermost's token; and the form both send.
#include <gtest/gtest.h>

#include <cctype>

#include "api/mattermost_token.hpp"
#include "api/slack_signature.hpp"
#include "api/target.hpp"
#include "storage/database.hpp"
#include "tests/support/temp_dir.hpp"

namespace bluegreen::api {
namespace {

// Slack's documented example (api.slack.com, "Verifying requests from Slack").
const std::string kSecret = "8f742231b10e8888abcd99yyyzzz85a5";
const std::string kTimestamp = "1531420618";
const std::string kBody =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
    "803a0bc887a14d10d2c447fce8b6703c";
const std::string kSignature =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const std::int64_t kThen = 1531420618;

TEST(SlackSignature, TheDocumentedExampleVerifies) {
  EXPECT_EQ(slack_signature(kSecret, kTimestamp, kBody), kSignature);
  EXPECT_FALSE(check_slack_signature(kSecret, kBody, &kTimestamp, &kSignature, kThen));
  EXPECT_FALSE(check_slack_signature(kSecret, kBody, &kTimestamp, &kSignature, kThen + 300));
  EXPECT_FALSE(check_slack_signature(kSecret, kBody, &kTimestamp, &kSignature, kThen - 300));
  std::string upper = "v0=A2114D57B48EAC39B9AD189DD8316235A7B4A8D21A10BD27519666489C69B503";
  EXPECT_FALSE(check_slack_signature(kSecret, kBody, &kTimestamp, &upper, kThen));
}

void expect_refused(const std::optional<refusal>& r, std::string_view says) {
  ASSERT_TRUE(r) << "accepted; expected a refusal saying " << says;
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->message.find(says), std::string::npos) << r->message;
  EXPECT_EQ(r->message.find(kSecret), std::string::npos);
  EXPECT_EQ(r->message.find(kSignature.substr(3)), std::string::npos);
}

TEST(SlackSignature, RefusesMissingWrongTamperedStaleAndFutureRequests) {
  expect_refused(check_slack_signature(kSecret, kBody, &kTimestamp, nullptr, kThen),
                 "missing X-Slack-Signature");
  expect_refused(check_slack_signature(kSecret, kBody, nullptr, &kSignature, kThen),
                 "missing X-Slack-Request-Timestamp");
  std::string wrong = "v0=" + std::string(64, '0');
  expect_refused(check_slack_signature(kSecret, kBody, &kTimestamp, &wrong, kThen),
                 "does not match");
  expect_refused(check_slack_signature("another secret", kBody, &kTimestamp, &kSignature, kThen),
                 "does not match");
  std::string tampered = kBody;
  tampered.replace(tampered.find("text="), 5, "text=demo");
  expect_refused(check_slack_signature(kSecret, tampered, &kTimestamp, &kSignature, kThen),
                 "does not match");
  std::string other_time = std::to_string(kThen + 1);
  expect_refused(check_slack_signature(kSecret, kBody, &other_time, &kSignature, kThen),
                 "does not match");
  expect_refused(check_slack_signature(kSecret, kBody, &kTimestamp, &kSignature, kThen + 301),
                 "in the past");
  expect_refused(check_slack_signature(kSecret, kBody, &kTimestamp, &kSignature, kThen - 301),
                 "in the future");
  for (std::string bad : {std::string(""), kSignature.substr(3), "v1=" + kSignature.substr(3),
                          kSignature + "0", kSignature.substr(0, 66) + "g"})
    expect_refused(check_slack_signature(kSecret, kBody, &kTimestamp, &bad, kThen), "malformed");
  for (std::string bad : {std::string(""), std::string("-1531420618"), std::string("1531420618.5"),
                          std::string("99999999999999999999")})
    expect_refused(check_slack_signature(kSecret, kBody, &bad, &kSignature, kThen), "");
  expect_refused(check_slack_signature("", kBody, &kTimestamp, &kSignature, kThen), "empty");
}

class SlackVerifier : public ::testing::Test {
 protected:
  SlackVerifier() {
    std::string error;
    db_ = storage::database::open(dir_ / "state.db", {}, error);
    EXPECT_TRUE(db_) << error;
  }

  request_verifier verifier() {
    slack_verifier_options o;
    o.secret = [this]() -> const std::optional<std::string>& { return secret_; };
    o.unavailable = [] { return refusal{404, "not_configured", "set [chat.slack]"}; };
    o.db = db_.get();
    o.now = [this] {
      return std::chrono::system_clock::time_point(std::chrono::seconds(now_)) + now_fraction_;
    };
    return slack_request_verifier(std::move(o));
  }

  static request signed_request(const std::string& body = kBody,
                                const std::string& ts = kTimestamp) {
    request r;
    r.method = "POST";
    r.body = body;
    r.headers["x-slack-request-timestamp"] = ts;
    r.headers["x-slack-signature"] = slack_signature(kSecret, ts, body);
    return r;
  }

  testing::temp_dir dir_;
  std::unique_ptr<storage::database> db_;
  std::optional<std::string> secret_ = kSecret;
  std::int64_t now_ = kThen + 10;
  std::chrono::milliseconds now_fraction_{0};
};

TEST_F(SlackVerifier, ARequestIsAcceptedOnceAndItsReplayRefusedEvenAfterARestart) {
  auto verify = verifier();
  EXPECT_FALSE(verify(signed_request()));
  auto again = verify(signed_request());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 401);
  EXPECT_NE(again->message.find("already received"), std::string::npos);
  // The same signature in upper case is the same request.
  request upper = signed_request();
  for (auto& c : upper.headers["x-slack-signature"]) c = static_cast<char>(std::toupper(c));
  upper.headers["x-slack-signature"].replace(0, 3, "v0=");
  auto shouted = verify(upper);
  ASSERT_TRUE(shouted);
  EXPECT_NE(shouted->message.find("already received"), std::string::npos);
  // Another verifier over the same database: what a restarted daemon has.
  now_ += 200;
  EXPECT_TRUE(verifier()(signed_request()));
  // Another request (another body or time) is a request of its own.
  EXPECT_FALSE(verify(signed_request(kBody + "&x=1")));
  // Once its timestamp is out of the window, the same request is stale.
  now_ = kThen + 301;
  auto stale = verify(signed_request());
  ASSERT_TRUE(stale);
  EXPECT_NE(stale->message.find("in the past"), std::string::npos);
}

TEST_F(SlackVerifier, AReplayInTheLastSecondOfTheWindowIsRefused) {
  auto verify = verifier();
  EXPECT_FALSE(verify(signed_request()));
  // 300.5 s after the timestamp: still within the window in whole seconds,
  // so the record of the first request must still be there.
  now_ = kThen + 300;
  now_fraction_ = std::chrono::milliseconds(500);
  auto replay = verify(signed_request());
  ASSERT_TRUE(replay);
  EXPECT_NE(replay->message.find("already received"), std::string::npos);
}

TEST_F(SlackVerifier, ARefusedRequestIsNotRememberedAsSeen) {
  auto verify = verifier();
  request bad = signed_request();
  bad.body += "&text=tampered";
  EXPECT_TRUE(verify(bad));
  EXPECT_FALSE(verify(signed_request()));
}

TEST_F(SlackVerifier, WithoutASecretTheRouteSaysWhatToConfigure) {
  secret_.reset();
  auto r = verifier()(signed_request());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  // Read at each request: a reload that sets it takes effect at once.
  secret_ = kSecret;
  EXPECT_FALSE(verifier()(signed_request()));
}

TEST_F(SlackVerifier, SlacksCertificateCheckIsAcceptedUnsignedOnlyWithoutSignatureHeaders) {
  request check;
  check.method = "POST";
  check.body = "ssl_check=1&token=abc";
  EXPECT_FALSE(verifier()(check));
  check.body = "ssl_check=0&text=demo";
  EXPECT_TRUE(verifier()(check));
  check.body = "ssl_check=1&token=abc";
  check.headers["x-slack-signature"] = "v0=" + std::string(64, '0');
  check.headers["x-slack-request-timestamp"] = kTimestamp;
  EXPECT_TRUE(verifier()(check));
}

TEST(MattermostToken, RightWrongAndMissing) {
  const std::string token = "xr3j5x3p4pfk7e3qyfwm7e9mah";
  std::string right = "Token " + token;
  EXPECT_FALSE(check_mattermost_token(token, &right));
  std::string lower_scheme = "token " + token;
  EXPECT_FALSE(check_mattermost_token(token, &lower_scheme));
  for (std::string wrong :
       {"Token " + token + "x", "Token " + token.substr(1), std::string("Token "),
        "Bearer " + token, token, std::string("Token")}) {
    auto r = check_mattermost_token(token, &wrong);
    ASSERT_TRUE(r) << wrong;
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->message.find(token), std::string::npos);
  }
  auto missing = check_mattermost_token(token, nullptr);
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->message.find("missing Authorization"), std::string::npos);

  std::optional<std::string> configured;
  auto verify = mattermost_token_verifier(
      [&]() -> const std::optional<std::string>& { return configured; },
      [] {
        return refusal{404, "not_configured", "set [chat.mattermost] token"};
      });
  request req;
  req.headers["authorization"] = right;
  EXPECT_EQ(verify(req)->status, 404);
  configured = token;
  EXPECT_FALSE(verify(req));
}

TEST(FormBody, DecodesWhatSlackSends) {
  auto form = parse_form(kBody, "the body");
  ASSERT_TRUE(form);
  EXPECT_EQ(form_value(*form, "command"), "/webhook-collect");
  EXPECT_EQ(form_value(*form, "text"), "");
  EXPECT_EQ(form_value(*form, "response_url"),
            "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN");
  EXPECT_EQ(form_value(*form, "absent"), "");
  auto spaced =
      parse_form("text=demo+main%20now&a=%e2%9c%93&&b&c=%e2%9c%93&c=second&=x", "the body");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(form_value(*spaced, "text"), "demo main now");
  EXPECT_EQ(form_value(*spaced, "a"), "\xe2\x9c\x93");
  EXPECT_EQ(form_value(*spaced, "c"), "second");  // the last value counts
  EXPECT_TRUE(spaced->count("b"));
  EXPECT_EQ(form_value(*spaced, ""), "x");
  EXPECT_TRUE(parse_form("", "the body"));
  for (std::string_view bad : {"text=%", "text=%4", "text=%zz", "a%=1", "text=100%25%", "text=%ff"})
    EXPECT_FALSE(parse_form(bad, "the body")) << bad;
}

}  // namespace
}  // namespace bluegreen::api
