// metrics_text renders metric families in the Prometheus text exposition
// format, version 0.0.4: a "# HELP" and a "# TYPE" line per family, then
// its samples; label values escaped (backslash, double quote, newline);
// histograms as cumulative `_bucket` samples with `le` (ending with
// "+Inf"), `_sum` and `_count`. A pure function: the /metrics handler
// gathers the values and this writes them.
//
// Thread-safety: pure values and functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/histogram.hpp"

namespace bluegreen::api {

// Label names and values, in the order they are written. Names are the
// caller's constants ([a-zA-Z_][a-zA-Z0-9_]*); values are any text.
using metric_labels = std::vector<std::pair<std::string, std::string>>;

struct metric_family {
  enum class kind { counter, gauge, histogram };
  std::string name;  // counters end in _total
  std::string help;
  kind type = kind::gauge;
  struct sample {
    metric_labels labels;
    double value = 0;
  };
  struct histogram_sample {
    metric_labels labels;
    daemon::histogram values;
  };
  std::vector<sample> samples;               // counter, gauge
  std::vector<histogram_sample> histograms;  // histogram
};

// The content type of what render_metrics writes.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const std::vector<metric_family>& families);

// A label value as written between the quotes: \ " and newline escaped.
std::string escape_label_value(std::string_view value);
// A sample value: integers without a fraction, others in the shortest form
// that reads back the same, +Inf, -Inf and NaN as Prometheus spells them.
std::string format_metric_value(double value);

}  // namespace bluegreen::api
