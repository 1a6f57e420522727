#include "daemon/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace bluegreen::daemon {

bool setup_logging(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return false;
  static bool sink_installed = false;
  if (!sink_installed) {
    auto logger = spdlog::stderr_logger_mt("bluegreend");
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
