#include "daemon/traffic/haproxy_state.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace bluegreen::traffic {
namespace {

using daemon::colour;

const std::string kHeader =
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
    "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
    "srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

// A line as HAProxy 2.6 prints it, with the fields the backend reads.
std::string line(const std::string& name, int op, unsigned admin, int weight) {
  return "3 web 1 " + name + " 127.0.0.1 " + std::to_string(op) + " " + std::to_string(admin) +
         " " + std::to_string(weight) + " 1 4 6 3 4 6 0 0 0 - 18081 - 0 0 - - 0\n";
}

const haproxy_layout kLayout{"web", {"b1"}, {"g1", "g2"}};

outcome read(const std::string& body) {
  auto servers = parse_servers_state(kHeader + body + "\n");
  if (!servers) return servers.error();
  return routing_of(kLayout, servers.value());
}

TEST(HaproxyState, ReadsTheOutputOfHaproxy26) {
  auto servers = parse_servers_state(kHeader + line("b1", 2, 0, 100) + line("g1", 0, 1, 0) + "\n");
  ASSERT_TRUE(servers) << servers.error().message;
  ASSERT_EQ(servers->size(), 2u);
  EXPECT_EQ(servers->at(0).backend, "web");
  EXPECT_EQ(servers->at(0).name, "b1");
  EXPECT_EQ(servers->at(0).op_state, 2);
  EXPECT_EQ(servers->at(0).weight, 100);
  EXPECT_TRUE(servers->at(0).up());
  EXPECT_EQ(servers->at(1).admin_state, 1u);
  EXPECT_EQ(servers->at(1).state_text(), "in maintenance");
}

TEST(HaproxyState, ColumnsAreFoundByTheirHeaderNames) {
  auto servers = parse_servers_state(
      "1\n# srv_uweight srv_name be_name srv_admin_state srv_op_state extra\n7 g1 web 0 2 x\n");
  ASSERT_TRUE(servers) << servers.error().message;
  EXPECT_EQ(servers->at(0).name, "g1");
  EXPECT_EQ(servers->at(0).weight, 7);
}

TEST(HaproxyState, AnErrorReplyOrBrokenOutputIsAFailureSayingWhat) {
  auto missing = parse_servers_state("Can't find backend.\n\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("Can't find backend."), std::string::npos);
  EXPECT_FALSE(parse_servers_state(""));
  EXPECT_FALSE(parse_servers_state("1\n"));
  EXPECT_FALSE(parse_servers_state("1\n# be_name srv_name\n"));
  auto short_line = parse_servers_state(kHeader + "3 web 1 b1 127.0.0.1\n");
  ASSERT_FALSE(short_line);
  EXPECT_NE(short_line.error().message.find("line 3"), std::string::npos);
  EXPECT_FALSE(parse_servers_state(kHeader + line("b1", 2, 0, 300)));
  EXPECT_FALSE(parse_servers_state(kHeader + line("b1", 9, 0, 1)));
}

TEST(HaproxyState, TheColourWhoseServersHaveWeightTakesTheTraffic) {
  auto blue = read(line("b1", 2, 0, 100) + line("g1", 2, 0, 0) + line("g2", 2, 0, 0));
  ASSERT_TRUE(blue) << blue.error().message;
  EXPECT_EQ(blue.value(), routing::all_to(colour::blue));
  // A DOWN server still has its share: the load balancer routes there.
  auto green = read(line("b1", 2, 0, 0) + line("g1", 0, 0, 100) + line("g2", 2, 0, 100));
  ASSERT_TRUE(green) << green.error().message;
  EXPECT_EQ(green.value(), routing::all_to(colour::green));
}

TEST(HaproxyState, BothColoursWithWeightAreASplitByWeightSums) {
  auto split = read(line("b1", 2, 0, 180) + line("g1", 2, 0, 10) + line("g2", 2, 0, 10));
  ASSERT_TRUE(split) << split.error().message;
  EXPECT_EQ(split->weights.at(colour::blue), 90);
  EXPECT_EQ(split->weights.at(colour::green), 10);
}

TEST(HaproxyState, MaintenanceAndDrainTakeNoTrafficButTheConfigDisabledBitAloneDoes) {
  // b1 forced into maintenance (1) or draining (8): no traffic to blue.
  for (unsigned admin : {1u, 2u, 8u, 0x20u}) {
    auto r = read(line("b1", 2, admin, 100) + line("g1", 2, 0, 100) + line("g2", 2, 0, 100));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value(), routing::all_to(colour::green)) << admin;
  }
  // 0x04 (`disabled` in the config) stays set after `state ready`.
  auto r = read(line("b1", 2, 4, 100) + line("g1", 2, 4, 0) + line("g2", 2, 0, 0));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), routing::all_to(colour::blue));
}

TEST(HaproxyState, PartOfAColourOrNeitherColourIsUnknownRoutingNamingTheServers) {
  auto part = read(line("b1", 2, 0, 0) + line("g1", 2, 0, 100) + line("g2", 2, 1, 100));
  ASSERT_FALSE(part);
  EXPECT_EQ(part.error().code, "routing_unknown");
  EXPECT_NE(part.error().message.find("green's servers (g1) but not to g2 (in maintenance)"),
            std::string::npos)
      << part.error().message;
  auto none = read(line("b1", 2, 0, 0) + line("g1", 2, 0, 0) + line("g2", 2, 0, 0));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "routing_unknown");
}

TEST(HaproxyState, AServerTheBackendLacksIsNamed) {
  auto r = read(line("b1", 2, 0, 100) + line("g1", 2, 0, 0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "backend_failed");
  EXPECT_NE(r.error().message.find("has no server g2"), std::string::npos) << r.error().message;
  // A server of the same name in another backend does not count.
  auto other =
      parse_servers_state(kHeader + line("b1", 2, 0, 100) + line("g1", 2, 0, 0) +
                          "4 api 1 g2 127.0.0.1 2 0 1 1 4 6 3 4 6 0 0 0 - 1 - 0 0 - - 0\n");
  ASSERT_TRUE(other);
  EXPECT_FALSE(routing_of(kLayout, other.value()));
}

TEST(HaproxyState, WeightsForOneColourAreFullAndZero) {
  auto w = weights_for(kLayout, routing::all_to(colour::green));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->at("b1"), 0);
  EXPECT_EQ(w->at("g1"), 100);
  EXPECT_EQ(w->at("g2"), 100);
}

// Every canary share over up to 8 servers a colour reads back as asked,
// within HAProxy's weight range, unless no weights can express it.
TEST(HaproxyState, EverySplitReadsBackExactlyOrIsOutOfReach) {
  auto percent = [](long part, long total) {
    return static_cast<int>(
        std::lround(100.0 * static_cast<double>(part) / static_cast<double>(total)));
  };
  int unreachable = 0;
  for (long nb = 1; nb <= 8; ++nb) {
    for (long ng = 1; ng <= 8; ++ng) {
      haproxy_layout layout{"web", {}, {}};
      for (long i = 0; i < nb; ++i) layout.blue.push_back("b" + std::to_string(i));
      for (long i = 0; i < ng; ++i) layout.green.push_back("g" + std::to_string(i));
      for (int blue = 1; blue <= 99; ++blue) {
        routing target{{{colour::blue, blue}, {colour::green, 100 - blue}}};
        auto w = weights_for(layout, target);
        if (!w) {
          // The smallest and largest blue shares weights 1-256 can give.
          EXPECT_TRUE(blue < percent(nb, nb + 256 * ng) || blue > percent(256 * nb, 256 * nb + ng))
              << nb << " blue, " << ng << " green, " << blue << "% is reachable";
          ++unreachable;
          continue;
        }
        std::string state = kHeader;
        for (const auto& [name, weight] : *w) {
          ASSERT_GE(weight, 1);
          ASSERT_LE(weight, 256);
          state += line(name, 2, 0, weight);
        }
        auto servers = parse_servers_state(state);
        ASSERT_TRUE(servers);
        auto back = routing_of(layout, servers.value());
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(back.value(), target) << nb << " blue, " << ng << " green, " << blue << "%";
      }
    }
  }
  EXPECT_LT(unreachable, 64 * 99 / 50);  // only the extreme corners
}

}  // namespace
}  // namespace bluegreen::traffic
