// What the tests of GitHub's push webhook share (unit, integration and fuzz
// tests): a configuration whose apps deploy pushes - "shop" from acme/shop's
// main, "shop-staging" from its staging branch, "blog" from acme/blog's main.
// (Bodies are form-encoded with tests/support/form_encode.hpp.)
// Header-only and free of the daemon's libraries, so the fuzz build can use
// it. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "tests/support/form_encode.hpp"

namespace bluegreen::testing {

inline std::string github_apps_config_text() {
  auto app = [](const std::string& name, const std::string& github) {
    return "\n[[app]]\nname = \"" + name +
           "\"\npublic_url = \"https://example.com\"\n"
           "  [app.blue]\n  hosts = [\"deploy@10.0.0.2\"]\n  url = \"http://10.0.0.2:8000\"\n"
           "  [app.green]\n  hosts = [\"deploy@10.0.0.3\"]\n  url = \"http://10.0.0.3:8000\"\n"
           "  [app.deploy]\n  steps = [\"true\"]\n  resolve = \"echo {ref}\"\n"
           "  [app.traffic]\n  backend = \"nginx\"\n  upstream_file = \"/etc/nginx/" +
           name + ".conf\"\n  upstream_name = \"" + name + "\"\n  [app.github]\n  " + github + "\n";
  };
  return "[server]\nstate_dir = \"/var/lib/bluegreen\"\n[ssh]\nidentity = \"/k\"\n" +
         app("shop", "repository = \"acme/shop\"") +
         app("shop-staging", "repository = \"Acme/Shop\"\n  branch = \"staging\"") +
         app("blog", "repository = \"acme/blog\"");
}

}  // namespace bluegreen::testing
