// The outcome of an HTTP exchange: an answer (any status, 4xx and 5xx
// included) or an http_error. Failures are values, never exceptions.
//
// Thread-safety: a plain value.
#pragma once

#include <utility>
#include <variant>

#include "daemon/net/http_error.hpp"
#include "daemon/net/http_response.hpp"

namespace bluegreen::net {

class http_result {
 public:
  http_result(http_response response) : value_(std::move(response)) {}
  http_result(http_error error) : value_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<http_response>(value_); }
  explicit operator bool() const { return ok(); }

  const http_response& response() const { return std::get<http_response>(value_); }
  http_response& response() { return std::get<http_response>(value_); }
  const http_error& error() const { return std::get<http_error>(value_); }

 private:
  std::variant<http_response, http_error> value_;
};

}  // namespace bluegreen::net
