// route_spec is everything a route states where it is registered: the
// methods it answers (GET also answers HEAD), its path pattern, who may call
// it, and the largest request body it takes. Who may call it is one of:
// anyone (static files, /healthz), a bearer token of at least a scope (the
// API), or a request verifier - a function that sees the whole request, raw
// body included, and accepts or refuses it (an HMAC signature of a webhook).
// A route that states no auth is refused when it is registered, so no route
// is public by omission.
//
// Value types; a verifier is called on the io_context thread and must not
// block.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/http_message.hpp"
#include "daemon/scope.hpp"

namespace bluegreen::api {

// Why a verifier refused a request; sent to the client as the error.
struct refusal {
  int status = 401;
  std::string code = "unauthorized";
  std::string message;
};

// nullopt accepts the request.
using request_verifier = std::function<std::optional<refusal>(const request&)>;

struct route_auth {
  enum class kind { unstated, none, bearer, verifier };
  kind what = kind::unstated;
  daemon::scope needs = daemon::scope::read;  // bearer
  request_verifier verify;                    // verifier
};

class route_spec {
 public:
  // `path`: literal segments, {name} parameters and, last only, one {name...}
  // wildcard that takes the rest of the path.
  route_spec(std::vector<std::string> methods, std::string path)
      : methods_(std::move(methods)), path_(std::move(path)) {}

  route_spec& public_access() {
    auth_ = {route_auth::kind::none, daemon::scope::read, {}};
    return *this;
  }
  route_spec& bearer(daemon::scope needs) {
    auth_ = {route_auth::kind::bearer, needs, {}};
    return *this;
  }
  route_spec& verified_by(request_verifier verify) {
    auth_ = {route_auth::kind::verifier, daemon::scope::read, std::move(verify)};
    return *this;
  }
  // Bodies past this are refused with 413 while they are read. Without it,
  // the server's limit (server.max_body_bytes) applies.
  route_spec& max_body_bytes(std::size_t limit) {
    max_body_bytes_ = limit;
    return *this;
  }

  const std::vector<std::string>& methods() const { return methods_; }
  const std::string& path() const { return path_; }
  const route_auth& auth() const { return auth_; }
  std::optional<std::size_t> max_body_bytes() const { return max_body_bytes_; }

 private:
  std::vector<std::string> methods_;
  std::string path_;
  route_auth auth_;
  std::optional<std::size_t> max_body_bytes_;
};

}  // namespace bluegreen::api
