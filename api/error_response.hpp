// The one error shape of the API: {"error": {"code": "...", "message": "..."}}.
// `code` is stable for programs, `message` says what to do. Pure functions.
#pragma once

#include <string_view>

#include "api/http_message.hpp"

namespace bluegreen::api {

struct refusal;

response error_response(int status, std::string_view code, std::string_view message);
// A route's refusal (auth, a verifier, the cross-site check) as sent.
response error_response(const refusal& r);

}  // namespace bluegreen::api
