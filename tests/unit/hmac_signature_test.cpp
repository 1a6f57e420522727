// Webhook signatures: known vectors, and every way a signature can be wrong.
#include "api/hmac_signature.hpp"

#include <gtest/gtest.h>

namespace bluegreen::api {
namespace {

const std::string kSecret = "It's a Secret to Everybody";
const std::string kBody = "Hello, World!";
// GitHub's documented example for X-Hub-Signature-256.
const std::string kGithubExample =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

TEST(HmacSignature, MatchesKnownVectors) {
  // RFC 4231, test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ("sha256=" + hmac_sha256_hex(kSecret, kBody), kGithubExample);
  EXPECT_EQ(hmac_sha256_hex("s3cret", ""),
            "91dfac70c5348b04e1babb8b421ac92cec08b565b49ca16130dccb72503647b7");
}

TEST(HmacSignature, AcceptsTheRightSignatureInEitherCase) {
  EXPECT_FALSE(check_hmac_sha256(kSecret, kBody, &kGithubExample));
  std::string upper = "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17";
  EXPECT_FALSE(check_hmac_sha256(kSecret, kBody, &upper));
  std::string empty_body = "sha256=" + hmac_sha256_hex("s3cret", "");
  EXPECT_FALSE(check_hmac_sha256("s3cret", "", &empty_body));
}

TEST(HmacSignature, RefusesWrongSignaturesSayingWhyWithoutTheSecret) {
  std::string other_body = "sha256=" + hmac_sha256_hex(kSecret, "Hello, World?");
  std::string other_secret = "sha256=" + hmac_sha256_hex("another secret", kBody);
  for (const std::string* wrong : {&other_body, &other_secret}) {
    auto refused = check_hmac_sha256(kSecret, kBody, wrong);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    EXPECT_EQ(refused->code, "unauthorized");
    EXPECT_NE(refused->message.find("does not match"), std::string::npos) << refused->message;
    EXPECT_EQ(refused->message.find(kSecret), std::string::npos);
    // Nor the digest that would have matched.
    EXPECT_EQ(refused->message.find(hmac_sha256_hex(kSecret, kBody)), std::string::npos);
  }
  // One bit off in the last digit.
  std::string last_off = kGithubExample;
  last_off.back() = '6';
  EXPECT_TRUE(check_hmac_sha256(kSecret, kBody, &last_off));
}

TEST(HmacSignature, RefusesMissingAndMalformedSignatures) {
  auto missing = check_hmac_sha256(kSecret, kBody, nullptr);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_NE(missing->message.find("missing X-Hub-Signature-256"), std::string::npos);

  const std::string hex = kGithubExample.substr(7);
  for (const std::string& bad :
       {std::string(""), hex, "sha1=" + hex, "SHA256=" + hex, std::string("sha256="),
        "sha256=" + hex + "0", "sha256=" + hex.substr(1), "sha256=" + hex.substr(0, 63) + "g",
        "sha256= " + hex,
        // Two headers, joined by the server.
        kGithubExample + ", " + kGithubExample}) {
    auto refused = check_hmac_sha256(kSecret, kBody, &bad);
    ASSERT_TRUE(refused) << bad;
    EXPECT_EQ(refused->status, 401) << bad;
    EXPECT_NE(refused->message.find("malformed X-Hub-Signature-256"), std::string::npos)
        << refused->message;
    EXPECT_EQ(refused->message.find(kSecret), std::string::npos);
  }
}

TEST(HmacSignature, AnEmptySecretAcceptsNothing) {
  std::string signed_with_empty = "sha256=" + hmac_sha256_hex("", kBody);
  auto refused = check_hmac_sha256("", kBody, &signed_with_empty);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("no signing secret"), std::string::npos);
}

TEST(HmacSignature, VerifierReadsItsHeaderFromTheRequest) {
  auto verify = hmac_sha256_verifier(kSecret);
  request req;
  req.method = "POST";
  req.body = kBody;
  EXPECT_TRUE(verify(req));
  req.headers["x-hub-signature-256"] = kGithubExample;
  EXPECT_FALSE(verify(req));
  req.body += " ";
  EXPECT_TRUE(verify(req));

  auto custom = hmac_sha256_verifier(kSecret, "X-Signature");
  request other;
  other.body = kBody;
  other.headers["x-signature"] = kGithubExample;
  EXPECT_FALSE(custom(other));
  other.headers.clear();
  auto refused = custom(other);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("missing X-Signature header"), std::string::npos);
}

}  // namespace
}  // namespace bluegreen::api
