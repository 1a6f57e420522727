// app_state_repository stores what the daemon knows about each app: which
// colour is live and, per colour, the release deployed there and whether it
// passed its smoke checks.
//
// Thread-safety: same as the database it uses.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::storage {

class database;

struct colour_record {
  std::string colour;  // "blue" or "green"
  std::optional<std::string> ref;
  std::optional<std::string> sha;
  std::optional<std::string> deployed_at;
  std::optional<std::string> deployed_by;
  bool verified = false;
  std::optional<std::string> health;
  std::optional<std::string> health_at;
};

struct app_record {
  std::string name;
  std::optional<std::string> live;  // unset until established
  // What the load balancer routes to, e.g. "green:100" or "blue:90,green:10".
  std::optional<std::string> routing;
  // What a rollback returns to: the colour live before the last switch,
  // while it still runs the release it served then.
  std::optional<std::string> previous_live;
  bool drifted = false;
  std::optional<std::string> drift_reason;
  // What the reality loop last saw: the routing the load balancer reports,
  // the colour whose identity public_url answered, and what could not be
  // read (unset when all of it could).
  std::optional<std::string> observed_routing;
  std::optional<std::string> observed_identity;
  std::optional<std::string> observed_error;
  std::string updated_at;
  colour_record blue;
  colour_record green;
};

class app_state_repository {
 public:
  explicit app_state_repository(database& db) : db_(db) {}

  // Creates the app's rows when they do not exist yet; keeps existing state.
  void ensure(std::string_view app);
  std::optional<app_record> find(std::string_view app);
  std::vector<app_record> all();

  void set_live(std::string_view app, std::optional<std::string_view> colour);
  // Records the routing and the live colour it implies, in one transaction.
  void set_routing(std::string_view app, std::string_view live, std::string_view routing);
  void set_drift(std::string_view app, std::optional<std::string_view> reason);
  // Records what the reality loop saw; writes nothing when it is what is
  // stored already. Returns whether anything changed.
  bool set_observed(std::string_view app, std::optional<std::string_view> routing,
                    std::optional<std::string_view> identity,
                    std::optional<std::string_view> error);
  void set_previous_live(std::string_view app, std::optional<std::string_view> colour);
  // A new release on a colour starts unverified.
  void record_release(std::string_view app, std::string_view colour, std::string_view ref,
                      std::string_view sha, std::string_view deployed_by);
  void set_verified(std::string_view app, std::string_view colour, bool verified);
  void set_health(std::string_view app, std::string_view colour, std::string_view health);

 private:
  database& db_;
};

}  // namespace bluegreen::storage
