#include "daemon/traffic/nginx_upstream.hpp"

#include <map>
#include <set>
#include <sstream>

namespace bluegreen::traffic {

using daemon::colour;

namespace {

constexpr std::string_view kMarker = "# Managed by bluegreend";

}  // namespace

std::string render_upstream(const upstream_layout& layout, const routing& target,
                            long long generation) {
  std::ostringstream out;
  out << kMarker << " for app " << layout.app_name << ": routing=" << target.encode()
      << " generation=" << generation << "\n"
      << "# Changes made here by hand are seen as drift; use bluegreend to switch.\n"
      << "upstream " << layout.upstream_name << " {\n";
  auto servers_of = [&](colour c) -> const std::vector<std::string>& {
    return c == colour::blue ? layout.blue : layout.green;
  };
  for (const auto& [c, share] : target.weights) {
    const auto& servers = servers_of(c);
    const auto& others = servers_of(daemon::other(c));
    // Each colour's servers together get its share, whatever their counts.
    long weight = target.single() ? 0 : static_cast<long>(share) * static_cast<long>(others.size());
    for (const auto& s : servers) {
      out << "    server " << s;
      if (weight > 0) out << " weight=" << weight;
      out << ";  # " << daemon::to_string(c) << "\n";
    }
  }
  out << "}\n";
  return out.str();
}

outcome parse_upstream(const upstream_layout& layout, const std::string& file) {
  std::map<std::string, colour> owner;
  for (const auto& s : layout.blue) owner[s] = colour::blue;
  for (const auto& s : layout.green) owner[s] = colour::green;
  std::map<colour, long> weight_sum;
  std::map<colour, std::set<std::string>> seen;
  std::istringstream in(file);
  std::string line;
  bool in_upstream = false;
  while (std::getline(in, line)) {
    auto hash = line.find('#');
    std::string code = line.substr(0, hash);
    std::istringstream words(code);
    std::string first;
    words >> first;
    if (first == "upstream") {
      std::string name;
      words >> name;
      in_upstream = name == layout.upstream_name;
      continue;
    }
    if (!in_upstream || first != "server") continue;
    std::string address, option;
    words >> address;
    if (!address.empty() && address.back() == ';') address.pop_back();
    long weight = 1;
    bool down = false;
    while (words >> option) {
      if (!option.empty() && option.back() == ';') option.pop_back();
      if (option.rfind("weight=", 0) == 0) {
        // Bounded, so that the sums below cannot overflow or divide by zero.
        std::string digits = option.substr(7);
        if (digits.empty() || digits.size() > 6 ||
            digits.find_first_not_of("0123456789") != std::string::npos ||
            (weight = std::stol(digits)) == 0)
          return backend_failure("routing_unknown", "the upstream file gives " + address + " the weight \"" + digits +
                                 "\"; nginx weights are whole numbers from 1 to 999999");
      }
      if (option == "down" || option == "backup") down = true;
    }
    auto it = owner.find(address);
    if (it == owner.end())
      return backend_failure("routing_unknown", "the upstream file routes to " + address +
                             ", which is in neither colour's upstreams");
    if (down) continue;
    weight_sum[it->second] += weight;
    seen[it->second].insert(address);
  }
  if (weight_sum.empty())
    return backend_failure("routing_unknown", "the upstream file " + layout.upstream_file.string() +
                           " has no server of upstream " + layout.upstream_name);
  for (const auto& [c, servers] : seen) {
    const auto& all = c == colour::blue ? layout.blue : layout.green;
    if (servers.size() != all.size())
      return backend_failure("routing_unknown", "the upstream file routes to only some of " +
                             std::string(daemon::to_string(c)) + "'s servers");
  }
  routing r;
  if (weight_sum.size() == 1) {
    r = routing::all_to(weight_sum.begin()->first);
  } else {
    long total = 0;
    for (const auto& [c, w] : weight_sum) total += w;
    int blue = static_cast<int>((weight_sum[colour::blue] * 100 + total / 2) / total);
    r.weights = {{colour::blue, blue}, {colour::green, 100 - blue}};
  }
  return r;
}

}  // namespace bluegreen::traffic
