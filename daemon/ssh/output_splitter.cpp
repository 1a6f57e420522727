#include "daemon/ssh/output_splitter.hpp"

#include <algorithm>

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
  // Longest first, so a secret that contains another is hidden whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
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

void output_splitter::feed(stream from, std::string_view bytes, std::vector<output_line>& out) {
  std::string& pending = pending_[from == stream::out ? 0 : 1];
  pending.append(bytes);
  size_t start = 0;
  for (;;) {
    size_t newline = pending.find('\n', start);
    if (newline == std::string::npos) {
      if (pending.size() - start >= kMaxLine) {
        emit(from, pending.substr(start, kMaxLine), out);
        start += kMaxLine;
        continue;
      }
      break;
    }
    while (newline - start > kMaxLine) {
      emit(from, pending.substr(start, kMaxLine), out);
      start += kMaxLine;
    }
    emit(from, pending.substr(start, newline - start), out);
    start = newline + 1;
  }
  pending.erase(0, start);
}

void output_splitter::finish(std::vector<output_line>& out) {
  for (stream from : {stream::out, stream::err}) {
    std::string& pending = pending_[from == stream::out ? 0 : 1];
    if (!pending.empty()) emit(from, std::move(pending), out);
    pending.clear();
  }
}

}  // namespace bluegreen::ssh
