// delivery_repository remembers what inbound hooks have already delivered -
// a GitHub delivery id, the signature of a Slack request - for as long as a
// repeat must be recognised, across restarts. Times are UTC text as the
// rest of the schema writes them, so they compare as strings.
//
// Thread-safety: same as the database it uses.
#pragma once

#include <cstdint>
#include <string_view>

namespace bluegreen::storage {

class database;

class delivery_repository {
 public:
  explicit delivery_repository(database& db) : db_(db) {}

  // Records `key` of `source` until `expires_at`. False when it is already
  // recorded and not expired (a repeat); an expired record is replaced.
  bool remember(std::string_view source, std::string_view key, std::string_view now,
                std::string_view expires_at);
  // Removes the record of `key` of `source`, so that it is new again.
  void forget(std::string_view source, std::string_view key);
  // Removes the records that expired at or before `now`; returns how many.
  std::int64_t remove_expired(std::string_view now);

 private:
  database& db_;
};

}  // namespace bluegreen::storage
