#include "daemon/github/push_plan.hpp"

#include <algorithm>
#include <cctype>

#include "daemon/ascii_case.hpp"
#include "daemon/config.hpp"

namespace bluegreen::github {

namespace {

constexpr std::string_view kBranchPrefix = "refs/heads/";

// GitHub treats "Acme/Shop" and "acme/shop" as one repository.
bool same_repository(std::string_view a, std::string_view b) {
  return daemon::equal_ignoring_ascii_case(a, b);
}

std::string branches_of(const std::vector<const daemon::app_config*>& apps) {
  std::string out;
  for (const auto* app : apps)
    out += (out.empty() ? "" : ", ") + app->name + " deploys '" + app->github->branch + "'";
  return out;
}

}  // namespace

push_plan plan_push(const push& pushed, const daemon::config& cfg) {
  push_plan plan;
  std::vector<const daemon::app_config*> of_repository;
  for (const auto& app : cfg.apps)
    if (app.github && same_repository(app.github->repository, pushed.repository))
      of_repository.push_back(&app);
  if (of_repository.empty()) {
    plan.ignored = "no app deploys repository " + pushed.repository +
                   " (an app's [app.github] repository names the repository it deploys)";
    return plan;
  }
  if (pushed.deleted) {
    plan.ignored = "the push deleted " + pushed.ref + ": there is nothing to deploy";
    return plan;
  }
  if (!pushed.ref.starts_with(kBranchPrefix)) {
    plan.ignored = pushed.ref + " is not a branch: only pushes to a branch deploy (" +
                   branches_of(of_repository) + ")";
    return plan;
  }
  std::string branch = pushed.ref.substr(kBranchPrefix.size());
  for (const auto* app : of_repository)
    if (app->github->branch == branch) plan.apps.push_back(app->name);
  if (plan.apps.empty())
    plan.ignored = "branch '" + branch + "' of " + pushed.repository + " deploys no app (" +
                   branches_of(of_repository) + ")";
  return plan;
}

}  // namespace bluegreen::github
