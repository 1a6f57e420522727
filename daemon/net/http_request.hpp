// What the HTTP client sends: a method (any token: GET, POST, PATCH, ...),
// an http:// or https:// URL, header fields and a body. The client adds
// Host, User-Agent and Connection when they are not given, and always sets
// Content-Length itself.
//
// Thread-safety: a plain value.
#pragma once

#include <string>
#include <vector>

#include "daemon/net/http_header.hpp"

namespace bluegreen::net {

struct http_request {
  std::string method = "GET";
  std::string url;
  std::vector<http_header> headers;
  std::string body;
};

}  // namespace bluegreen::net
