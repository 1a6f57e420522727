#include "daemon/engine/reality_rules.hpp"

#include "daemon/engine/flow_support.hpp"
#include "daemon/engine/rules.hpp"

namespace bluegreen::engine {

using daemon::colour;

std::string load_balancer_name(std::string_view backend_name) {
  if (backend_name == "nginx" || backend_name == "haproxy") return std::string(backend_name);
  return "the load balancer";
}

std::optional<std::string> identity_disagreement(std::string_view lb, const std::string& url,
                                                 colour routed,
                                                 const checks::identity_result& seen) {
  if (!seen) return url + " did not answer with either identity (" + seen.error().message + ")";
  if (seen->alternating()) return url + " answers alternately with both colours' identities";
  if (seen->colour == routed) return std::nullopt;
  return std::string(lb) + " routes to " + std::string(to_string(routed)) + " but " + url +
         " is answered by " + std::string(to_string(daemon::other(routed)));
}

std::string record_disagreement(std::string_view lb, const traffic::routing& recorded,
                                const traffic::routing& seen) {
  return std::string(lb) + " routes to " + seen.describe() + " but bluegreend recorded " +
         recorded.describe() + " as live (changed by hand?)";
}

drift_verdict judge_reality(std::string_view lb, const std::string& identity_url,
                            const std::optional<traffic::routing>& recorded,
                            const reality_look& look) {
  drift_verdict out;
  if (look.routing) {
    // The load balancer and the identity probe disagreeing comes first:
    // then nobody knows what serves.
    if (look.identity) {
      if (auto why =
              identity_disagreement(lb, identity_url, main_colour(*look.routing), *look.identity)) {
        out.verdict = drift_verdict::kind::drifted;
        out.reason = *why;
        return out;
      }
    }
    if (recorded && *recorded != *look.routing) {
      out.verdict = drift_verdict::kind::drifted;
      out.reason = record_disagreement(lb, *recorded, *look.routing);
      return out;
    }
    out.verdict = drift_verdict::kind::agrees;
    return out;
  }
  // Without the load balancer, only the identity can contradict the record.
  auto answered = look.identity_colour();
  if (answered && recorded && recorded->single() && *recorded->single() != *answered) {
    out.verdict = drift_verdict::kind::drifted;
    out.reason = identity_url + " is answered by " + std::string(to_string(*answered)) +
                 " but bluegreend recorded " + recorded->describe() + " as live (changed by hand?)";
  }
  return out;
}

std::vector<load_balancer_seen> load_balancers_seen(const daemon::app_config& app,
                                                    const std::vector<traffic::outcome>& each,
                                                    const std::string& missing) {
  std::vector<load_balancer_seen> out;
  const auto& lbs = app.traffic.load_balancers;
  for (std::size_t i = 0; i < lbs.size(); ++i) {
    load_balancer_seen one{lbs[i].name, std::nullopt, std::nullopt};
    if (i >= each.size())
      one.error = missing;
    else if (each[i])
      one.routing = each[i].value().encode();
    else
      one.error = each[i].error().message;
    out.push_back(std::move(one));
  }
  return out;
}

std::chrono::milliseconds next_look_after(std::chrono::milliseconds interval, unsigned failures) {
  std::chrono::milliseconds longest = std::max(interval, kLongestBackoff);
  std::chrono::milliseconds wait = interval;
  for (unsigned i = 0; i < failures && wait < longest; ++i) wait *= 2;
  return std::min(wait, longest);
}

std::chrono::milliseconds first_look_after(std::chrono::milliseconds interval, std::size_t index,
                                           std::size_t count) {
  if (count == 0) return std::chrono::milliseconds(0);
  return interval * static_cast<std::int64_t>(index % count) / static_cast<std::int64_t>(count);
}

std::vector<daemon::check_config> health_checks(const daemon::app_config& app) {
  if (!app.checks.empty()) return app.checks;
  daemon::check_config any;
  any.path = app.identity_path.value_or("/");
  if (app.identity_path) any.expect_body = "{identity}";
  return {any};
}

}  // namespace bluegreen::engine
