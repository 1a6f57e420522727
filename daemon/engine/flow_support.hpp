// Small helpers shared by the engine's flows (deploy, switch, task, watch):
// a new operation's record, and the template values of a colour. Private to
// the engine's files.
#pragma once

#include <string>

#include "daemon/config.hpp"
#include "daemon/engine/operation_registry.hpp"
#include "daemon/template.hpp"
#include "storage/app_state_repository.hpp"
#include "storage/operation_repository.hpp"

namespace bluegreen::engine {

// A new operation of `kind` on `app`, asked for by `who`.
storage::new_operation new_operation_for(std::string app, storage::operation_kind kind,
                                         const actor& who);

// The values of an app's templates (checks' expect_body) for colour `c`.
daemon::template_values values_of(const daemon::app_config& app, daemon::colour c,
                                  const storage::colour_record& state);
const storage::colour_record& state_of(const storage::app_record& app, daemon::colour c);

}  // namespace bluegreen::engine
