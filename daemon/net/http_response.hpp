// What came back from an HTTP exchange: status, reason, header fields, the
// body (whole, within the request's size cap), and the URL that answered
// (differs from the request's when redirects were followed).
//
// Thread-safety: a plain value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/net/http_header.hpp"

namespace bluegreen::net {

struct http_response {
  int status = 0;
  std::string reason;
  std::vector<http_header> headers;
  std::string body;
  std::string url;

  std::optional<std::string> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

}  // namespace bluegreen::net
