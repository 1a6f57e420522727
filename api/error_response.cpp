#include "api/error_response.hpp"

#include <nlohmann/json.hpp>

#include "api/json_text.hpp"
#include "api/route_policy.hpp"

namespace bluegreen::api {

response error_response(int status, std::string_view code, std::string_view message) {
  response r;
  r.status = status;
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  r.body = json_text(body) + "\n";
  return r;
}

response error_response(const refusal& r) { return error_response(r.status, r.code, r.message); }

}  // namespace bluegreen::api
