// Which apps a GitHub push deploys (their [app.github] repository and
// branch), or why it deploys none.
//
// Pure functions.
#pragma once

#include <string>
#include <vector>

#include "daemon/github/push.hpp"

namespace bluegreen::daemon {
struct config;
}

namespace bluegreen::github {

// What a push does: deploy `after` to the idle colour of `apps`, or nothing
// for the reason in `ignored`.
struct push_plan {
  std::vector<std::string> apps;
  std::string ignored;  // empty when apps is not
};

// Apps whose [app.github] repository is the push's (without regard to
// case) and whose branch is the pushed one. Deleted refs, tags and other
// refs, other branches and other repositories deploy nothing.
push_plan plan_push(const push& pushed, const daemon::config& cfg);

}  // namespace bluegreen::github
