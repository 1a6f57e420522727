// hook_secrets holds the values of the inbound hooks' secrets - Slack's
// signing secret, the Mattermost command token, the GitHub webhook secret -
// read from their files or systemd credentials when the configuration is
// loaded or reloaded, so that verifying a request reads no file. A secret
// that cannot be read is logged (where it was looked for, never a value)
// and left unset: its route then refuses every request as not configured.
//
// Thread-safety: the io thread (loaded and read there).
#pragma once

#include <optional>
#include <string>

#include "daemon/config.hpp"

namespace bluegreen::daemon {

class hook_secrets {
 public:
  // Reads every secret `cfg` refers to; unset ones become unset here.
  void load(const config& cfg);

  const std::optional<std::string>& slack_signing_secret() const { return slack_; }
  const std::optional<std::string>& mattermost_token() const { return mattermost_; }
  const std::optional<std::string>& github_secret() const { return github_; }

 private:
  std::optional<std::string> slack_;
  std::optional<std::string> mattermost_;
  std::optional<std::string> github_;
};

}  // namespace bluegreen::daemon
