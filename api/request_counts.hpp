// request_counts counts the requests the application answered, by route
// pattern ("/api/v1/apps/{app}", never the path asked for, so the number
// of series stays bounded by the routes) and status, for /metrics. A map
// lookup per request on the io thread; no lock.
//
// Thread-safety: the io thread, like the application that counts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace bluegreen::api {

class request_counts {
 public:
  // What a request that matched no route is counted under.
  static constexpr std::string_view kNoRoute = "none";

  void count(std::string_view route, int status);
  // (route pattern, status) -> requests answered.
  const std::map<std::pair<std::string, int>, std::uint64_t>& all() const { return counts_; }

 private:
  std::map<std::pair<std::string, int>, std::uint64_t> counts_;
};

}  // namespace bluegreen::api
