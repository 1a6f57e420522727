#include "api/json_text.hpp"

namespace bluegreen::api {

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace bluegreen::api
