#include "api/metrics_text.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace bluegreen::api {

namespace {

// Backslash and newline escaped, and double quotes too in label values
// (HELP text keeps them).
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

std::string_view type_name(metric_family::kind k) {
  switch (k) {
    case metric_family::kind::counter:
      return "counter";
    case metric_family::kind::histogram:
      return "histogram";
    default:
      return "gauge";
  }
}

void write_labels(std::string& out, const metric_labels& labels,
                  const std::pair<std::string, std::string>* extra = nullptr) {
  if (labels.empty() && !extra) return;
  out += '{';
  bool first = true;
  auto one = [&](const std::string& name, const std::string& value) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += escape_label_value(value);
    out += '"';
  };
  for (const auto& [name, value] : labels) one(name, value);
  if (extra) one(extra->first, extra->second);
  out += '}';
}

void write_sample(std::string& out, std::string_view name, const metric_labels& labels,
                  double value, const std::pair<std::string, std::string>* extra = nullptr) {
  out += name;
  write_labels(out, labels, extra);
  out += ' ';
  out += format_metric_value(value);
  out += '\n';
}

}  // namespace

std::string escape_label_value(std::string_view value) { return escape(value, true); }

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::array<char, 64> buffer{};
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc()) return "NaN";
  return std::string(buffer.data(), end);
}

std::string render_metrics(const std::vector<metric_family>& families) {
  std::string out;
  for (const auto& f : families) {
    out += "# HELP " + f.name + ' ' + escape(f.help, false) + '\n';
    out += "# TYPE " + f.name + ' ' + std::string(type_name(f.type)) + '\n';
    if (f.type != metric_family::kind::histogram) {
      for (const auto& s : f.samples) write_sample(out, f.name, s.labels, s.value);
      continue;
    }
    for (const auto& h : f.histograms) {
      const auto& bounds = h.values.bounds();
      const auto& counts = h.values.counts();
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < bounds.size(); ++i) {
        cumulative += counts[i];
        std::pair<std::string, std::string> le{"le", format_metric_value(bounds[i])};
        write_sample(out, f.name + "_bucket", h.labels, static_cast<double>(cumulative), &le);
      }
      std::pair<std::string, std::string> inf{"le", "+Inf"};
      write_sample(out, f.name + "_bucket", h.labels, static_cast<double>(h.values.count()), &inf);
      write_sample(out, f.name + "_sum", h.labels, h.values.sum());
      write_sample(out, f.name + "_count", h.labels, static_cast<double>(h.values.count()));
    }
  }
  return out;
}

}  // namespace bluegreen::api
