// router maps a method and a decoded path to a route. Patterns are literal
// segments and {name} parameters ("/api/v1/apps/{app}"). A path that
// matches some pattern but not for this method yields the allowed methods,
// for 405 and its Allow header. HEAD matches the GET route of a path.
//
// Thread-safety: build on one thread, then match from any.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/http_message.hpp"
#include "daemon/token_service.hpp"

namespace bluegreen::api {

using path_params = std::map<std::string, std::string>;

// What a handler gets besides the request.
struct call_context {
  path_params params;
  std::map<std::string, std::string> query;
  std::string actor;  // token name, or empty for unauthenticated routes
};

using handler =
    std::function<boost::asio::awaitable<response>(const request&, const call_context&)>;

struct route {
  std::string method;
  std::vector<std::string> pattern;  // segments; "{x}" is a parameter
  std::optional<daemon::scope> needs;  // nullopt: no token needed
  handler handle;
};

struct route_match {
  const route* found = nullptr;
  path_params params;
  std::vector<std::string> allowed;  // when the path matched other methods only
};

class router {
 public:
  void add(std::string method, std::string_view pattern, std::optional<daemon::scope> needs,
           handler h);
  route_match match(const std::string& method, const std::vector<std::string>& segments) const;

 private:
  std::vector<route> routes_;
};

}  // namespace bluegreen::api
