// alert_repository keeps, for each app and kind of alert, the alert time of
// the last one sent ("not_deployed": its daily slot), so an alert sent once
// a day stays once a day across restarts. Times are UTC text as the rest of
// the schema writes them.
//
// Thread-safety: same as the database it uses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bluegreen::storage {

class database;

class alert_repository {
 public:
  explicit alert_repository(database& db) : db_(db) {}

  std::optional<std::string> last_sent(std::string_view app, std::string_view kind);
  void set_sent(std::string_view app, std::string_view kind, std::string_view at);

 private:
  database& db_;
};

}  // namespace bluegreen::storage
