#include "daemon/engine/flow_support.hpp"


namespace bluegreen::engine {

using daemon::colour;

storage::new_operation new_operation_for(std::string app, storage::operation_kind kind,
                                         const actor& who) {
  storage::new_operation op;
  op.app = std::move(app);
  op.kind = kind;
  op.actor = who.name;
  op.channel = who.channel;
  return op;
}

daemon::template_values values_of(const daemon::app_config& app, colour c,
                                  const storage::colour_record& state) {
  return {{"app", app.name},
          {"colour", std::string(to_string(c))},
          {"identity", app.colour_of(c).identity},
          {"url", app.colour_of(c).url},
          {"ref", state.ref.value_or("")},
          {"sha", state.sha.value_or("")}};
}

const storage::colour_record& state_of(const storage::app_record& app, colour c) {
  return c == colour::blue ? app.blue : app.green;
}


}  // namespace bluegreen::engine
