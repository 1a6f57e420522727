// json_text writes a JSON value as the API sends it. Strings hold what
// hosts printed, which need not be UTF-8: invalid sequences become U+FFFD
// here, so a stored byte can never make a response fail. A pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace bluegreen::api {

std::string json_text(const nlohmann::json& value);

}  // namespace bluegreen::api
