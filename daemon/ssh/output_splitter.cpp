#include "daemon/ssh/output_splitter.hpp"

#include <algorithm>

#include "daemon/utf8.hpp"

namespace bluegreen::ssh {

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return text;
}

output_splitter::output_splitter(std::string host, std::vector<std::string> secrets)
    : host_(std::move(host)), secrets_(std::move(secrets)) {
  // Output is split into lines, so a secret of several lines (a key) can
  // only be found line by line: each of its lines is a secret of its own.
  // Very short lines ("", "}") would hide unrelated text and reveal little.
  std::vector<std::string> lines;
  for (const auto& secret : secrets_) {
    if (secret.find('\n') == std::string::npos) continue;
    size_t start = 0;
    while (start <= secret.size()) {
      size_t end = std::min(secret.find('\n', start), secret.size());
      std::string line = secret.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() >= 4) lines.push_back(std::move(line));
      start = end + 1;
    }
  }
  secrets_.insert(secrets_.end(), lines.begin(), lines.end());
  std::erase_if(secrets_, [](const std::string& s) { return s.empty(); });
  // Longest first, so a secret that contains another is hidden whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  if (!secrets_.empty()) lookahead_ = std::max(lookahead_, secrets_.front().size());
}

namespace {

std::vector<std::string> secret_values(const std::vector<env_var>& env) {
  std::vector<std::string> out;
  for (const auto& var : env)
    if (var.secret) out.push_back(var.value);
  return out;
}

}  // namespace

output_splitter::output_splitter(const job& j)
    : output_splitter(j.to.label(), secret_values(j.env)) {}

void output_splitter::emit(stream from, std::string text, std::vector<output_line>& out) {
  if (!text.empty() && text.back() == '\r') text.pop_back();
  // The login shell or sshd may print to stderr before the prelude runs
  // (e.g. a missing home directory), so look until the marker is seen.
  if (from == stream::err && !process_group_) {
    if (std::string_view(text).starts_with(kProcessGroupMarker)) {
      try {
        process_group_ = std::stol(text.substr(kProcessGroupMarker.size()));
      } catch (const std::exception&) {
        process_group_ = 0;
      }
      return;
    }
  }
  out.push_back(
      output_line{host_, from, redact(std::move(text), secrets_), std::chrono::system_clock::now()});
}

size_t output_splitter::cut_point(std::string_view line) const {
  // Never inside a character: the bytes stay as printed, and a cut
  // character would make both pieces invalid UTF-8.
  size_t cut = daemon::utf8::boundary_at_or_before(line, kMaxLine);
  // The earliest secret occurrence straddling `at`, if any.
  auto straddling = [&](size_t at) -> std::optional<std::pair<size_t, size_t>> {
    std::optional<std::pair<size_t, size_t>> found;
    for (const auto& secret : secrets_) {
      size_t from = at >= secret.size() ? at - secret.size() + 1 : 0;
      size_t pos = line.find(secret, from);
      if (pos != std::string_view::npos && pos < at && (!found || pos < found->first))
        found = std::pair{pos, pos + secret.size()};
    }
    return found;
  };
  // Move the cut back to the start of a straddling secret (each move goes
  // strictly back, so this ends) ...
  size_t back = cut;
  while (auto s = straddling(back)) back = s->first;
  if (back > 0) return back;
  // ... or, when one starts the line, past its end (strictly forward).
  while (auto s = straddling(cut)) cut = s->second;
  return cut;
}

void output_splitter::emit_line(stream from, std::string_view line, std::vector<output_line>& out) {
  while (line.size() > kMaxLine) {
    size_t cut = cut_point(line);
    emit(from, std::string(line.substr(0, cut)), out);
    line.remove_prefix(cut);
  }
  emit(from, std::string(line), out);
}

void output_splitter::feed(stream from, std::string_view bytes, std::vector<output_line>& out) {
  std::string& pending = pending_[from == stream::out ? 0 : 1];
  pending.append(bytes);
  std::string_view rest = pending;
  for (;;) {
    size_t newline = rest.find('\n');
    if (newline != std::string_view::npos) {
      emit_line(from, rest.substr(0, newline), out);
      rest.remove_prefix(newline + 1);
      continue;
    }
    // A long line without its end yet: cut a piece off once the bytes that
    // decide where to cut (a secret or character across the cut) are here.
    if (rest.size() < kMaxLine + lookahead_) break;
    size_t cut = cut_point(rest);
    emit(from, std::string(rest.substr(0, cut)), out);
    rest.remove_prefix(cut);
  }
  pending.erase(0, pending.size() - rest.size());
}

void output_splitter::finish(std::vector<output_line>& out) {
  for (stream from : {stream::out, stream::err}) {
    std::string& pending = pending_[from == stream::out ? 0 : 1];
    if (!pending.empty()) emit_line(from, pending, out);
    pending.clear();
  }
}

}  // namespace bluegreen::ssh
