#include "daemon/hook_secrets.hpp"

#include <spdlog/spdlog.h>

namespace bluegreen::daemon {

namespace {

std::optional<std::string> read_if_set(const std::optional<secret_ref>& ref,
                                       std::string_view key) {
  if (!ref) return std::nullopt;
  auto value = read_secret(*ref);
  if (!value) {
    spdlog::error("{}: {}; requests that need it are refused until it can be read (fix it, "
                  "then reload)",
                  key, value.error().message);
    return std::nullopt;
  }
  if (value->empty()) {
    spdlog::error("{} is empty; requests that need it are refused until it is set (then "
                  "reload)",
                  key);
    return std::nullopt;
  }
  return std::move(*value);
}

}  // namespace

void hook_secrets::load(const config& cfg) {
  slack_ = read_if_set(cfg.chat.slack_signing_secret, "chat.slack.signing_secret");
  mattermost_ = read_if_set(cfg.chat.mattermost_token, "chat.mattermost.token");
  github_ = read_if_set(cfg.github.secret, "github.secret");
}

}  // namespace bluegreen::daemon
