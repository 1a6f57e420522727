// haproxy_state reads HAProxy's `show servers state` output (format 1, the
// same in 2.6 and 2.8) and says where one backend's servers send an app's
// traffic; it also chooses the server weights that route as asked. The
// colours are told apart by server name (blue_servers, green_servers).
//
// Thread-safety: pure functions on values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/result.hpp"
#include "daemon/traffic/backend.hpp"
#include "daemon/traffic/routing.hpp"

namespace bluegreen::traffic {

// One line of `show servers state`.
struct haproxy_server {
  std::string backend;
  std::string name;
  int op_state = 0;          // 0 stopped, 1 starting, 2 running, 3 stopping
  unsigned admin_state = 0;  // bits: 0x01/0x02/0x20 maintenance, 0x08/0x10 drain, 0x04 `disabled`
  int weight = 0;            // srv_uweight, what load balancing uses now (0-256)

  // Maintenance set by hand, inherited or by a failed resolution; 0x04 (the
  // configuration's `disabled`) stays set after `state ready`, so it does not count.
  bool in_maintenance() const { return (admin_state & 0x23u) != 0; }
  bool draining() const { return (admin_state & 0x18u) != 0; }
  // Gets new (non-persistent) requests when it is up.
  bool takes_traffic() const { return weight > 0 && !in_maintenance() && !draining(); }
  // Running and free to take traffic: a switch's target must be.
  bool up() const { return op_state == 2 && !in_maintenance() && !draining(); }
  // "DOWN (health check failing)", "in maintenance", ... for messages.
  std::string state_text() const;
};

struct haproxy_layout {
  std::string backend;
  std::vector<std::string> blue;
  std::vector<std::string> green;
};

// The servers of `text`. A failure when it is not format 1 (HAProxy's own
// reply, such as "Can't find backend.", is in the message).
daemon::result<std::vector<haproxy_server>> parse_servers_state(std::string_view text);

// The layout's servers as `servers` shows them, in layout order: a failure
// (backend_failed) naming each server the backend does not have.
daemon::result<std::vector<haproxy_server>> layout_servers(
    const haproxy_layout& layout, const std::vector<haproxy_server>& servers);

// Where traffic goes. A colour takes traffic when all its servers do
// (weight above 0, not in maintenance, not draining), none when none does;
// some but not all is routing_unknown, as is neither colour. Shares are the
// colours' weight sums in percent.
outcome routing_of(const haproxy_layout& layout, const std::vector<haproxy_server>& servers);

// The weight (0-256) of each of the layout's servers for `target`: 100 for
// each server of a colour with all traffic, 0 for a colour without a share;
// for a split, weight sums that routing_of() reads back as the same shares,
// spread evenly over each colour's servers. None when HAProxy's weights
// cannot express the split (1% over many servers against 99% over few).
std::optional<std::map<std::string, int>> weights_for(const haproxy_layout& layout,
                                                      const routing& target);

}  // namespace bluegreen::traffic
