#include "api/metrics_text.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace bluegreen::api {
namespace {

TEST(MetricsText, CountersAndGaugesHaveHelpTypeAndLabelledSamples) {
  metric_family ops{"bluegreend_operations_total",
                    "Operations that ended.",
                    metric_family::kind::counter,
                    {},
                    {}};
  ops.samples.push_back({{{"app", "web"}, {"kind", "deploy"}, {"result", "succeeded"}}, 3});
  ops.samples.push_back({{{"app", "web"}, {"kind", "switch"}, {"result", "failed"}}, 1});
  metric_family running{"bluegreend_operations_running",
                        "Operations running now.",
                        metric_family::kind::gauge,
                        {},
                        {}};
  running.samples.push_back({{}, 0});
  EXPECT_EQ(render_metrics({ops, running}),
            "# HELP bluegreend_operations_total Operations that ended.\n"
            "# TYPE bluegreend_operations_total counter\n"
            "bluegreend_operations_total{app=\"web\",kind=\"deploy\",result=\"succeeded\"} 3\n"
            "bluegreend_operations_total{app=\"web\",kind=\"switch\",result=\"failed\"} 1\n"
            "# HELP bluegreend_operations_running Operations running now.\n"
            "# TYPE bluegreend_operations_running gauge\n"
            "bluegreend_operations_running 0\n");
}

TEST(MetricsText, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value("plain-name_1"), "plain-name_1");
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  metric_family f{"x_total",
                  "Help with a \\, a \"quote\" and a\nnewline.",
                  metric_family::kind::counter,
                  {},
                  {}};
  f.samples.push_back({{{"v", "say \"hi\"\n"}}, 1});
  EXPECT_EQ(render_metrics({f}),
            "# HELP x_total Help with a \\\\, a \"quote\" and a\\nnewline.\n"
            "# TYPE x_total counter\n"
            "x_total{v=\"say \\\"hi\\\"\\n\"} 1\n");
}

TEST(MetricsText, ValuesAreWrittenAsPrometheusReadsThem) {
  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(42), "42");
  EXPECT_EQ(format_metric_value(1764536400), "1764536400");
  EXPECT_EQ(format_metric_value(1764536400.123), "1764536400.123");
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(-1.5), "-1.5");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_metric_value(std::nan("")), "NaN");
}

TEST(MetricsText, HistogramsHaveCumulativeBucketsEndingInInfThenSumAndCount) {
  daemon::histogram h({0.5, 1, 10});
  h.observe(0.25);
  h.observe(0.5);  // a bucket includes its bound
  h.observe(3);
  h.observe(60);  // above every bound: only +Inf
  metric_family f{"bluegreend_operation_duration_seconds",
                  "How long operations ran.",
                  metric_family::kind::histogram,
                  {},
                  {}};
  f.histograms.push_back({{{"kind", "deploy"}}, h});
  EXPECT_EQ(render_metrics({f}),
            "# HELP bluegreend_operation_duration_seconds How long operations ran.\n"
            "# TYPE bluegreend_operation_duration_seconds histogram\n"
            "bluegreend_operation_duration_seconds_bucket{kind=\"deploy\",le=\"0.5\"} 2\n"
            "bluegreend_operation_duration_seconds_bucket{kind=\"deploy\",le=\"1\"} 2\n"
            "bluegreend_operation_duration_seconds_bucket{kind=\"deploy\",le=\"10\"} 3\n"
            "bluegreend_operation_duration_seconds_bucket{kind=\"deploy\",le=\"+Inf\"} 4\n"
            "bluegreend_operation_duration_seconds_sum{kind=\"deploy\"} 63.75\n"
            "bluegreend_operation_duration_seconds_count{kind=\"deploy\"} 4\n");
}

TEST(MetricsText, AnUnlabelledHistogramGetsOnlyLe) {
  daemon::histogram h({1});
  metric_family f{"d_seconds", "D.", metric_family::kind::histogram, {}, {}};
  f.histograms.push_back({{}, h});
  EXPECT_EQ(render_metrics({f}),
            "# HELP d_seconds D.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{le=\"1\"} 0\n"
            "d_seconds_bucket{le=\"+Inf\"} 0\n"
            "d_seconds_sum 0\n"
            "d_seconds_count 0\n");
}

}  // namespace
}  // namespace bluegreen::api
