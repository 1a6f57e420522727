// router maps a method and a decoded path to a route. Each route is
// registered with its route_spec (methods, pattern, auth, body limit).
// Patterns are literal segments, {name} parameters ("/api/v1/apps/{app}")
// and, as the last segment only, a {name...} wildcard that takes the rest of
// the path: one or more segments, each decoded, joined again with "/"
// ("/assets/{path...}" gives path = "css/site.css"). A path that matches some
// pattern but not for this method yields the allowed methods, for 405 and its
// Allow header. HEAD matches the GET route of a path. The first route
// registered that matches wins.
//
// Thread-safety: build on one thread, then match from any.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/http_message.hpp"
#include "api/route_policy.hpp"
#include "daemon/token_service.hpp"

namespace bluegreen::api {

using path_params = std::map<std::string, std::string>;

// What a handler gets besides the request.
struct call_context {
  path_params params;
  std::map<std::string, std::string> query;
  std::string actor;  // token name, or empty for routes without a token
  // How the caller came, recorded with what it does: "api" for a bearer
  // token, "dashboard" for a session cookie.
  std::string channel = "api";
  daemon::scope granted = daemon::scope::read;    // the caller's scope, on routes with a token
  std::optional<std::string> session_expires_at;  // when the caller's session ends
  // Whether the request's token still counts (not revoked, scope enough),
  // for streams that outlive the request; empty on routes without a token.
  std::function<bool()> still_allowed;
};

using handler =
    std::function<boost::asio::awaitable<response>(const request&, const call_context&)>;

struct route {
  route_spec spec;
  std::vector<std::string> pattern;  // segments; "{x}" is a parameter, "{x...}" the rest
  handler handle;

  // GET also answers HEAD.
  bool answers(const std::string& method) const;
  // The methods it answers, HEAD included where GET is ("GET,HEAD").
  std::string methods_text() const;
  // Who may call it, for people: "anyone", "a token of scope deploy" or
  // "a request its verifier accepts" (a webhook's signature).
  std::string auth_text() const;
};

struct route_match {
  const route* found = nullptr;
  path_params params;
  std::vector<std::string> allowed;  // when the path matched other methods only
};

class router {
 public:
  // Throws std::logic_error for a spec that states no auth or no method, or
  // whose wildcard is not its last segment: a programming error.
  void add(route_spec spec, handler h);
  // Shorthand: a bearer token of `needs`, or no auth when nullopt; the
  // server's body limit.
  void add(std::string method, std::string_view pattern, std::optional<daemon::scope> needs,
           handler h);
  route_match match(const std::string& method, const std::vector<std::string>& segments) const;
  // Every route, in the order registered (the order they are matched in).
  const std::vector<route>& routes() const { return routes_; }

 private:
  std::vector<route> routes_;
};

}  // namespace bluegreen::api
