#include "daemon/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "daemon/utf8.hpp"

namespace bluegreen::daemon {

namespace {

// stderr, with what hosts and clients sent (output, paths, error text)
// made valid UTF-8, so journald keeps every line as text.
class utf8_stderr_sink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string text = utf8::repair(std::string_view(formatted.data(), formatted.size()));
    std::fwrite(text.data(), 1, text.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

bool setup_logging(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return false;
  static bool sink_installed = false;
  if (!sink_installed) {
    auto logger =
        std::make_shared<spdlog::logger>("bluegreend", std::make_shared<utf8_stderr_sink>());
    spdlog::set_default_logger(logger);
    sink_installed = true;
  }
  const char* journal = std::getenv("JOURNAL_STREAM");
  if (journal && *journal)
    spdlog::set_pattern("%l: %v");
  else
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l: %v");
  spdlog::set_level(parsed);
  spdlog::flush_on(spdlog::level::trace);
  return true;
}

}  // namespace bluegreen::daemon
