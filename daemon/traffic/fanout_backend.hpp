// fanout_backend moves the traffic of an app with several load balancers
// ([[app.traffic.load_balancer]]) as one: route() changes all of them or
// none, putting the ones already changed back to what each routed before
// when another refuses, and current() answers only when all of them agree.
// It wraps one backend per load balancer; an app with one load balancer
// gets that backend alone, without a fan-out.
//
// The load balancers are read and changed at once rather than one after
// another: each is a machine or a file of its own (the configuration
// refuses two that change the same nginx file on the same machine), so
// nothing is shared between them, and the time they disagree during a
// switch is that of the slowest one, not the sum.
//
// Thread-safety: as backend.
#pragma once

#include <optional>
#include <vector>

#include "daemon/traffic/backend.hpp"

namespace bluegreen::traffic {

class fanout_backend final : public backend {
 public:
  struct member {
    std::string name;  // as in messages: "lb1"
    std::shared_ptr<backend> lb;
  };
  explicit fanout_backend(std::vector<member> members);

  bool supports_weights() const override;
  boost::asio::awaitable<outcome> current(log_fn log) override;
  boost::asio::awaitable<readings> current_each(log_fn log) override;
  boost::asio::awaitable<outcome> route(routing target, log_fn log) override;
  boost::asio::awaitable<void> prepare_route() override;

 private:
  // For each member at once: route() to its target, or current() when it
  // has none and `read` is true; members with neither are skipped (their
  // result is a placeholder). Results in the members' order.
  boost::asio::awaitable<std::vector<outcome>> on_each(std::vector<std::optional<routing>> targets,
                                                       bool read, log_fn log);

  // The members' failed reads as one failure naming each; none when all
  // were read (a routing of neither colour counts only if `unknown_counts`).
  std::optional<daemon::failure> failed_reads(const std::vector<outcome>& seen,
                                              bool unknown_counts) const;

  // What current() answers from the members' reads: their routing when all
  // agree, else why not.
  outcome combined(const std::vector<outcome>& seen) const;

  std::vector<member> members_;
};

}  // namespace bluegreen::traffic
