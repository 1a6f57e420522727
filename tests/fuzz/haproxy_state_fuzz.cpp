// Fuzzes HAProxy's `show servers state` reading: any text gives servers or
// a failure with a message, never a crash; what it routes to always sums to
// 100; and the weights chosen for any routing over any number of servers
// are within HAProxy's range and read back as the same routing.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/traffic/haproxy_state.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace bluegreen::traffic;
using bluegreen::daemon::colour;

const char* kHeader =
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
    "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
    "srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

void round_trip(FuzzedDataProvider& in) {
  haproxy_layout layout{"web", {}, {}};
  for (int n = in.ConsumeIntegralInRange(1, 12); n > 0; --n)
    layout.blue.push_back("b" + std::to_string(n));
  for (int n = in.ConsumeIntegralInRange(1, 12); n > 0; --n)
    layout.green.push_back("g" + std::to_string(n));
  routing target;
  int blue = in.ConsumeIntegralInRange(0, 100);
  if (blue > 0) target.weights[colour::blue] = blue;
  if (blue < 100) target.weights[colour::green] = 100 - blue;

  auto weights = weights_for(layout, target);
  if (!weights) {
    FUZZ_CHECK(target.weights.size() == 2);  // one colour always fits
    return;
  }
  std::string state = kHeader;
  for (const auto& [name, weight] : *weights) {
    FUZZ_CHECK(weight >= 0 && weight <= 256);
    state += "3 web 1 " + name + " 127.0.0.1 2 0 " + std::to_string(weight) +
             " 1 4 6 3 4 6 0 0 0 - 80 - 0 0 - - 0\n";
  }
  auto servers = parse_servers_state(state);
  FUZZ_CHECK(servers.ok());
  auto read = routing_of(layout, servers.value());
  FUZZ_CHECK(read.ok());
  FUZZ_CHECK(read.value() == target);
}

void read_any(FuzzedDataProvider& in) {
  auto servers = parse_servers_state(in.ConsumeRemainingBytesAsString());
  if (!servers.ok()) {
    FUZZ_CHECK(!servers.error().message.empty());
    return;
  }
  for (const auto& s : servers.value()) {
    FUZZ_CHECK(s.weight >= 0 && s.weight <= 256);
    FUZZ_CHECK(!s.state_text().empty());
  }
  haproxy_layout layout{"web", {"b1", "b2"}, {"g1"}};
  auto read = routing_of(layout, servers.value());
  if (!read.ok()) {
    FUZZ_CHECK(!read.error().message.empty());
    return;
  }
  int total = 0;
  for (const auto& [c, w] : read.value().weights) {
    FUZZ_CHECK(w >= 1 && w <= 100);
    total += w;
  }
  FUZZ_CHECK(total == 100);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool())
    round_trip(in);
  else
    read_any(in);
  return 0;
}
