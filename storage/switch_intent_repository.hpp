// switch_intent_repository stores the durable record written before the
// traffic backend is touched, so a crash between "asked the backend" and
// "recorded the new live colour" is reconciled at the next start.
//
// Thread-safety: same as the database it uses.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::storage {

class database;

struct switch_intent {
  std::int64_t id = 0;
  std::string app;
  std::optional<std::int64_t> operation_id;
  std::optional<std::string> from_colour;
  std::string to_colour;
  std::optional<std::string> weights;  // JSON object, for weighted switches
  std::string created_at;
  std::optional<std::string> resolved_at;
  std::optional<std::string> outcome;  // applied | failed | reconciled
};

class switch_intent_repository {
 public:
  explicit switch_intent_repository(database& db) : db_(db) {}

  std::int64_t create(std::string_view app, std::optional<std::int64_t> operation_id,
                      std::optional<std::string_view> from_colour, std::string_view to_colour,
                      std::optional<std::string_view> weights);
  void resolve(std::int64_t id, std::string_view outcome);
  std::optional<switch_intent> find(std::int64_t id);
  // Intents not resolved yet, oldest first.
  std::vector<switch_intent> pending();
  // App -> when its newest applied intent was resolved (UTC text): when its
  // load balancer last took a new routing.
  std::map<std::string, std::string> last_applied();

 private:
  database& db_;
};

}  // namespace bluegreen::storage
