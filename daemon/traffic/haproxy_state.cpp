#include "daemon/traffic/haproxy_state.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>

namespace bluegreen::traffic {

using daemon::colour;

namespace {

constexpr long kMaxWeight = 256;  // HAProxy's largest server weight
constexpr long kFullWeight = 100;

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <typename T>
std::optional<T> number(std::string_view text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

daemon::failure unreadable(std::string why, std::string_view text) {
  std::string excerpt(text.substr(0, 200));
  return backend_failure("backend_failed", "cannot read HAProxy's `show servers state`: " + why,
                         excerpt);
}

// The percent of `part` in `total`, kept within 1-99 when both colours
// take some traffic.
int percent(long part, long total) {
  int p =
      static_cast<int>(std::lround(100.0 * static_cast<double>(part) / static_cast<double>(total)));
  return std::clamp(p, 1, 99);
}

}  // namespace

std::string haproxy_server::state_text() const {
  if (in_maintenance()) return "in maintenance";
  if (draining()) return "draining";
  switch (op_state) {
    case 2:
      return "UP";
    case 1:
      return "starting";
    case 3:
      return "stopping";
    default:
      return "DOWN";
  }
}

daemon::result<std::vector<haproxy_server>> parse_servers_state(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos <= text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!words(line).empty()) lines.push_back(line);
    pos = nl + 1;
  }
  if (lines.empty()) return unreadable("HAProxy answered nothing", text);
  if (words(lines[0]) != std::vector<std::string_view>{"1"}) {
    // Not the format: HAProxy's reply is an error such as "Can't find backend.".
    std::string reply(lines[0].substr(0, 200));
    return unreadable("HAProxy answered \"" + reply + "\"", text);
  }
  if (lines.size() < 2 || !lines[1].starts_with('#'))
    return unreadable("the header line is missing", text);
  auto header = words(lines[1].substr(1));
  auto column = [&](std::string_view name) -> std::optional<size_t> {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) return std::nullopt;
    return static_cast<size_t>(it - header.begin());
  };
  auto be = column("be_name"), srv = column("srv_name"), op = column("srv_op_state"),
       admin = column("srv_admin_state"), weight = column("srv_uweight");
  if (!be || !srv || !op || !admin || !weight)
    return unreadable(
        "the header lacks be_name, srv_name, srv_op_state, srv_admin_state or "
        "srv_uweight",
        text);
  size_t needed = std::max({*be, *srv, *op, *admin, *weight}) + 1;
  std::vector<haproxy_server> out;
  for (size_t i = 2; i < lines.size(); ++i) {
    if (lines[i].starts_with('#')) continue;
    auto w = words(lines[i]);
    if (w.size() < needed)
      return unreadable("line " + std::to_string(i + 1) + " has " + std::to_string(w.size()) +
                            " fields, fewer than the header's",
                        text);
    haproxy_server s;
    s.backend = std::string(w[*be]);
    s.name = std::string(w[*srv]);
    auto o = number<int>(w[*op]);
    auto a = number<unsigned>(w[*admin]);
    auto u = number<int>(w[*weight]);
    if (!o || !a || !u || *o < 0 || *o > 3 || *u < 0 || *u > kMaxWeight)
      return unreadable("line " + std::to_string(i + 1) + " has a state or weight out of range",
                        text);
    s.op_state = *o;
    s.admin_state = *a;
    s.weight = *u;
    out.push_back(std::move(s));
  }
  return out;
}

daemon::result<std::vector<haproxy_server>> layout_servers(
    const haproxy_layout& layout, const std::vector<haproxy_server>& servers) {
  std::vector<haproxy_server> out;
  std::string missing;
  for (const auto* list : {&layout.blue, &layout.green}) {
    for (const auto& name : *list) {
      auto it = std::find_if(servers.begin(), servers.end(), [&](const haproxy_server& s) {
        return s.backend == layout.backend && s.name == name;
      });
      if (it == servers.end())
        missing += (missing.empty() ? "" : ", ") + name;
      else
        out.push_back(*it);
    }
  }
  if (!missing.empty())
    return backend_failure("backend_failed", "HAProxy backend " + layout.backend +
                                                 " has no server " + missing +
                                                 ": check blue_servers and green_servers against "
                                                 "its `server` lines");
  return out;
}

outcome routing_of(const haproxy_layout& layout, const std::vector<haproxy_server>& servers) {
  auto mine = layout_servers(layout, servers);
  if (!mine) return mine.error();
  std::map<colour, long> share;
  size_t i = 0;
  for (colour c : {colour::blue, colour::green}) {
    const auto& names = c == colour::blue ? layout.blue : layout.green;
    std::string on, off;
    long sum = 0;
    for (size_t k = 0; k < names.size(); ++k, ++i) {
      const auto& s = mine.value()[i];
      if (s.takes_traffic()) {
        on += (on.empty() ? "" : ", ") + s.name;
        sum += s.weight;
      } else {
        off += (off.empty() ? "" : ", ") + s.name + " (" +
               (s.weight == 0 ? std::string("weight 0") : s.state_text()) + ")";
      }
    }
    if (!on.empty() && !off.empty())
      return backend_failure("routing_unknown", "HAProxy backend " + layout.backend +
                                                    " sends traffic to some of " +
                                                    std::string(daemon::to_string(c)) +
                                                    "'s servers (" + on + ") but not to " + off);
    if (sum > 0) share[c] = sum;
  }
  if (share.empty())
    return backend_failure("routing_unknown", "HAProxy backend " + layout.backend +
                                                  " sends traffic to no server of either colour");
  routing r;
  if (share.size() == 1) {
    r.weights[share.begin()->first] = 100;
    return r;
  }
  long total = share[colour::blue] + share[colour::green];
  int blue = percent(share[colour::blue], total);
  r.weights[colour::blue] = blue;
  r.weights[colour::green] = 100 - blue;
  return r;
}

std::optional<std::map<std::string, int>> weights_for(const haproxy_layout& layout,
                                                      const routing& target) {
  auto share = [&](colour c) {
    auto it = target.weights.find(c);
    return it == target.weights.end() ? 0 : it->second;
  };
  long nb = static_cast<long>(layout.blue.size()), ng = static_cast<long>(layout.green.size());
  int pb = share(colour::blue), pg = share(colour::green);
  long sum_blue = pb > 0 ? kFullWeight * nb : 0, sum_green = pg > 0 ? kFullWeight * ng : 0;
  if (pb > 0 && pg > 0) {
    // Weight sums per colour, the larger share's as large as HAProxy allows,
    // tried downwards until the shares read back exactly.
    bool blue_big = pb >= pg;
    long n_big = blue_big ? nb : ng, n_small = blue_big ? ng : nb;
    double ratio = static_cast<double>(blue_big ? pg : pb) / (blue_big ? pb : pg);
    bool found = false;
    for (long big = kMaxWeight * n_big; big >= n_big && !found; --big) {
      long ideal = std::lround(static_cast<double>(big) * ratio);
      long small = std::clamp(ideal, n_small, kMaxWeight * n_small);
      sum_blue = blue_big ? big : small;
      sum_green = blue_big ? small : big;
      found = percent(sum_blue, sum_blue + sum_green) == pb;
    }
    if (!found) return std::nullopt;
  }
  // A colour's sum spread over its servers, the first ones one more.
  std::map<std::string, int> out;
  auto spread = [&out](const std::vector<std::string>& names, long sum) {
    long n = static_cast<long>(names.size());
    for (long i = 0; i < n; ++i)
      out[names[static_cast<size_t>(i)]] = static_cast<int>(sum / n + (i < sum % n ? 1 : 0));
  };
  spread(layout.blue, sum_blue);
  spread(layout.green, sum_green);
  return out;
}

}  // namespace bluegreen::traffic
