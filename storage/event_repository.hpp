// event_repository stores the event stream's history: one row per event
// (an operation started, changed state or ended; an app's stored state
// changed), with its data as JSON text made by the engine. Ids only grow
// and are never reused; only the newest `keep` rows are kept, older ones
// are deleted as new ones are added.
//
// Thread-safety: same as the database it uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bluegreen::storage {

class database;

struct new_event {
  std::string type;  // operation.started, operation.updated, ...
  std::optional<std::string> app;
  std::optional<std::int64_t> operation_id;
  std::string data;  // a JSON object, as text
};

struct event_record {
  std::int64_t id = 0;
  std::string at;
  std::string type;
  std::optional<std::string> app;
  std::optional<std::int64_t> operation_id;
  std::string data;
};

class event_repository {
 public:
  explicit event_repository(database& db) : db_(db) {}

  // Stores the event and deletes what falls out of the newest `keep`;
  // returns its id.
  std::int64_t add(const new_event& event, std::int64_t keep);
  // Events with id greater than `after_id`, oldest first; `app` filters.
  std::vector<event_record> after(std::int64_t after_id, int limit,
                                  std::optional<std::string_view> app = std::nullopt);
  // The id of the oldest event kept and of the newest ever stored (0 when
  // there is none); events between were deleted by nobody but pruning.
  struct bounds {
    std::int64_t oldest_kept = 0;
    std::int64_t newest = 0;
  };
  bounds range();

 private:
  database& db_;
};

}  // namespace bluegreen::storage
