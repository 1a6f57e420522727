#include "api/request_counts.hpp"

namespace bluegreen::api {

void request_counts::count(std::string_view route, int status) {
  ++counts_[{std::string(route), status}];
}

}  // namespace bluegreen::api
