// histogram counts observations (durations, in seconds) into buckets with
// fixed upper bounds, with their sum and count, as Prometheus histograms
// report them. Observing is a few comparisons and additions, so it can be
// done on the io thread at the end of every operation.
//
// Thread-safety: a value; one thread at a time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace bluegreen::daemon {

class histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending; a last bucket (+Inf)
  // takes what is above them all.
  explicit histogram(std::vector<double> bounds = {})
      : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

  void observe(double value) {
    auto at = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    ++counts_[static_cast<std::size_t>(at - bounds_.begin())];
    sum_ += value;
    ++count_;
  }

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations per bucket (not cumulative): counts()[i] were above
  // bounds()[i-1] and at most bounds()[i]; the last one above every bound.
  const std::vector<std::uint64_t>& counts() const { return counts_; }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace bluegreen::daemon
