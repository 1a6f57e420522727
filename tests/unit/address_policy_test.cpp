// The outbound address policy (SSRF protection): how host text is read as an
// address, which addresses are refused, and what [outbound] allow lets
// through. Pure functions; the HTTP client's enforcement is tested in
// tests/integration/outbound_policy_test.cpp.
#include "daemon/net/address_policy.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "daemon/config.hpp"
#include "daemon/net/url.hpp"

namespace bluegreen::net {
namespace {

// What the request to `url_text` would be told: the host is a literal in
// every URL of the corpus, so this is what the client checks before any
// lookup.
std::optional<std::string> refusal_of(const address_policy& policy, const std::string& url_text) {
  auto u = parse_url(url_text);
  if (!u) return "the URL does not parse";
  auto address = parse_ip_literal(u->host);
  if (!address) return "the host is not read as an address";
  return policy.refuse(u->host, address->text());
}

const std::vector<std::string> kRefused = {
    // Loopback, in every spelling the resolver accepts.
    "http://127.0.0.1/", "http://127.0.0.1:8080/hook", "http://2130706433/", "http://0177.0.0.1/",
    "http://0x7f.1/", "http://0X7F.0.0.1/", "http://127.1/", "http://127.0.1/",
    "http://0x7f000001/", "http://017700000001/", "http://127.255.255.254/", "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
    // "This host".
    "http://0.0.0.0/", "http://0/", "http://0x0/", "http://000/", "http://0.1.2.3/", "http://[::]/",
    // Cloud metadata and other link-local addresses.
    "http://169.254.169.254/latest/meta-data/", "http://0xa9fea9fe/", "http://2852039166/",
    "http://0251.0376.0251.0376/", "http://169.254.1.1/", "http://[::ffff:169.254.169.254]/",
    "http://[fe80::1]/", "http://[fd00:ec2::254]/",
    // Private, shared and special-purpose IPv4.
    "http://10.0.0.1/", "http://10.255.255.255/", "http://012.1/", "http://172.16.0.1/",
    "http://172.31.255.255/", "http://192.168.1.1/", "http://0xc0a80101/", "http://100.64.0.1/",
    "http://100.127.255.255/", "http://192.0.0.8/", "http://198.18.0.1/", "http://198.19.255.255/",
    "http://224.0.0.1/", "http://239.255.255.250/", "http://240.0.0.1/", "http://255.255.255.255/",
    "http://4294967295/",
    // IPv6 forms that carry a refused IPv4 address, and non-global IPv6.
    "http://[::ffff:10.0.0.1]/", "http://[::ffff:192.168.0.1]/", "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b:1::1]/", "http://[2002:7f00:1::]/",
    "http://[2002:a00:1::1]/", "http://[::127.0.0.1]/", "http://[::10.0.0.1]/", "http://[fc00::1]/",
    "http://[fdff:ffff::1]/", "http://[fec0::1]/", "http://[ff02::1]/", "http://[ff05::1:3]/",
    "http://[100::1]/", "http://[4000::1]/"};

TEST(AddressPolicy, RefusesEveryFormOfAPrivateOrSpecialAddressWithoutAnAllowance) {
  address_policy policy({});
  for (const auto& u : kRefused) {
    auto why = refusal_of(policy, u);
    ASSERT_TRUE(why) << u << " was allowed";
    EXPECT_NE(why->find("[outbound] allow"), std::string::npos) << u << ": " << *why;
  }
}

TEST(AddressPolicy, LetsPublicAddressesThrough) {
  address_policy policy({});
  for (const std::string u :
       {"http://93.184.216.34/", "http://8.8.8.8/", "http://134744072/", "http://1.1/",
        "http://172.32.0.1/", "http://100.128.0.1/", "http://169.255.0.1/", "http://11.0.0.1/",
        "http://223.255.255.255/", "http://[2606:4700:4700::1111]/", "http://[::ffff:8.8.8.8]/",
        "http://[64:ff9b::808:808]/", "http://[2002:808:808::1]/", "http://[2001:4860::8888]/"})
    EXPECT_EQ(refusal_of(policy, u), std::nullopt) << u;
}

TEST(AddressPolicy, ReadsIpv4TextExactlyAsTheCLibraryDoes) {
  for (const std::string text : {"127.0.0.1",
                                 "2130706433",
                                 "0177.0.0.1",
                                 "0x7f.1",
                                 "0X7F.0X0.0.01",
                                 "127.1",
                                 "127.0.1",
                                 "0",
                                 "0x",
                                 "0x.1",
                                 "08",
                                 "09.1",
                                 "0x1g",
                                 "1.2.3.4.5",
                                 "1.2.3.",
                                 ".1.2.3",
                                 "1..2",
                                 "256.1.1.1",
                                 "1.256.1.1",
                                 "1.2.65536",
                                 "1.16777216",
                                 "4294967296",
                                 "4294967295",
                                 "0xffffffff",
                                 "0x100000000",
                                 "00000000000000000000177.1",
                                 "0x0000000000000000007f.1",
                                 "1.2.3.256",
                                 "1.2.3.0377",
                                 "1.2.3.0400",
                                 "99999999999999999999999",
                                 "-1",
                                 "+1",
                                 "1.-1",
                                 "a.b.c.d",
                                 "",
                                 ".",
                                 "1.",
                                 "1e1",
                                 "0x7f.0x0.0x0.0x1"}) {
    in_addr expected{};
    bool c_library = inet_aton(text.c_str(), &expected) != 0;
    auto ours = parse_ipv4_any(text);
    ASSERT_EQ(c_library, ours.has_value()) << "\"" << text << "\"";
    if (ours) {
      EXPECT_EQ(ours->text(), inet_ntoa(expected)) << "\"" << text << "\"";
    }
  }
}

TEST(AddressPolicy, SaysWhatTheAddressIsAndWhatToAdd) {
  address_policy policy({});
  EXPECT_EQ(policy.refuse("127.0.0.1", "127.0.0.1"),
            "127.0.0.1 is a loopback address; add \"127.0.0.1\" to [outbound] allow to let "
            "bluegreend reach it");
  EXPECT_EQ(policy.refuse("0177.0.0.1", "127.0.0.1"),
            "0177.0.0.1 is 127.0.0.1, a loopback address; add \"127.0.0.1\" to [outbound] allow "
            "to let bluegreend reach it");
  EXPECT_EQ(policy.refuse("LocalHost", "::1"),
            "LocalHost resolves to ::1, the IPv6 loopback address; add \"localhost\" (or \"::1\") "
            "to [outbound] allow to let bluegreend reach it");
  auto metadata = policy.refuse("169.254.169.254", "169.254.169.254");
  ASSERT_TRUE(metadata);
  EXPECT_NE(metadata->find("cloud metadata"), std::string::npos) << *metadata;
  auto mapped = policy.refuse("::ffff:127.0.0.1", "::ffff:127.0.0.1");
  ASSERT_TRUE(mapped);
  EXPECT_NE(mapped->find("IPv4-mapped address of 127.0.0.1, a loopback address"), std::string::npos)
      << *mapped;
  EXPECT_TRUE(policy.refuse("example.com", "not an address"));
}

TEST(AddressPolicy, AnAllowedHostNameAllowsWhatItResolvesTo) {
  address_policy policy({"mattermost.lan", "localhost"});
  EXPECT_EQ(policy.refuse("mattermost.lan", "10.0.0.5"), std::nullopt);
  EXPECT_EQ(policy.refuse("Mattermost.LAN", "192.168.1.9"), std::nullopt);
  EXPECT_EQ(policy.refuse("mattermost.lan.", "10.0.0.5"), std::nullopt);
  EXPECT_EQ(policy.refuse("localhost", "127.0.0.1"), std::nullopt);
  EXPECT_EQ(policy.refuse("localhost", "::1"), std::nullopt);
  // The name only: the same address under another name or as a literal is not allowed.
  EXPECT_TRUE(policy.refuse("chat.lan", "10.0.0.5"));
  EXPECT_TRUE(policy.refuse("10.0.0.5", "10.0.0.5"));
  EXPECT_TRUE(policy.refuse("127.0.0.1", "127.0.0.1"));
  EXPECT_TRUE(policy.refuse("mattermost.lan.evil.example", "10.0.0.5"));
}

TEST(AddressPolicy, AnAllowedAddressOrNetworkAllowsTheAddressesInsideIt) {
  address_policy policy({"10.0.0.0/8", "127.0.0.1", "fd00::/8", "192.168.7.0/24"});
  EXPECT_EQ(policy.refuse("10.1.2.3", "10.1.2.3"), std::nullopt);
  EXPECT_EQ(policy.refuse("chat.lan", "10.200.0.1"), std::nullopt);
  EXPECT_EQ(policy.refuse("127.0.0.1", "127.0.0.1"), std::nullopt);
  EXPECT_EQ(policy.refuse("2130706433", "127.0.0.1"), std::nullopt);
  EXPECT_EQ(policy.refuse("localhost", "127.0.0.1"), std::nullopt);
  EXPECT_EQ(policy.refuse("::ffff:127.0.0.1", "::ffff:127.0.0.1"), std::nullopt);
  EXPECT_EQ(policy.refuse("fd12::1", "fd12::1"), std::nullopt);
  EXPECT_EQ(policy.refuse("192.168.7.200", "192.168.7.200"), std::nullopt);

  EXPECT_TRUE(policy.refuse("127.0.0.2", "127.0.0.2"));
  EXPECT_TRUE(policy.refuse("localhost", "::1"));
  EXPECT_TRUE(policy.refuse("192.168.8.1", "192.168.8.1"));
  EXPECT_TRUE(policy.refuse("172.16.0.1", "172.16.0.1"));
  EXPECT_TRUE(policy.refuse("fc00::1", "fc00::1"));
  EXPECT_TRUE(policy.refuse("169.254.169.254", "169.254.169.254"));
}

TEST(AddressPolicy, AllowEntriesAreAddressesNetworksOrHostNames) {
  auto name = parse_allow_entry("Mattermost.LAN.");
  EXPECT_EQ(name.error, "");
  EXPECT_EQ(name.host, "mattermost.lan");
  auto network = parse_allow_entry("10.0.0.0/8");
  EXPECT_EQ(network.error, "");
  EXPECT_EQ(network.network.text(), "10.0.0.0");
  EXPECT_EQ(network.prefix, 8u);
  auto address = parse_allow_entry("0x7f.1");
  EXPECT_EQ(address.network.text(), "127.0.0.1");
  EXPECT_EQ(address.prefix, 32u);
  EXPECT_EQ(parse_allow_entry("::1").prefix, 128u);
  EXPECT_EQ(parse_allow_entry("fd00::/8").error, "");
  EXPECT_EQ(parse_allow_entry("0.0.0.0/0").error, "");

  EXPECT_EQ(parse_allow_entry("10.0.0.1/8").error,
            "\"10.0.0.1/8\" has bits set after its prefix: write the network's first address, "
            "\"10.0.0.0/8\"");
  for (const std::string bad :
       {"", "10.0.0.0/33", "fd00::/129", "10.0.0.0/", "/8", "10.0.0.0/x", "host/8", "300.1.1.1",
        "1.2.3.256", "host.0x1f", "bad host", "a..b", ".lan", "http://x", "[::1]", "x:80"})
    EXPECT_NE(parse_allow_entry(bad).error, "") << "\"" << bad << "\"";
}

TEST(AddressPolicy, TheConfigurationRefusesABadAllowEntryAndSaysWhy) {
  auto good = daemon::parse_config(
      "[outbound]\nallow = [\"mattermost.lan\", \"10.0.0.0/8\", \"127.0.0.1\", \"fd00::/8\"]\n",
      "t.toml");
  ASSERT_TRUE(good.value) << (good.errors.empty() ? "" : good.errors[0].to_string());
  EXPECT_EQ(good.value->outbound.allow.size(), 4u);

  auto bad = daemon::parse_config("[outbound]\nallow = [\"10.0.0.1/8\"]\n", "t.toml");
  EXPECT_FALSE(bad.value);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].message.find("write the network's first address, \"10.0.0.0/8\""),
            std::string::npos)
      << bad.errors[0].to_string();
  auto typo = daemon::parse_config("[outbound]\nallow = [\"10.0.0.256\"]\n", "t.toml");
  EXPECT_FALSE(typo.value);
}

}  // namespace
}  // namespace bluegreen::net
