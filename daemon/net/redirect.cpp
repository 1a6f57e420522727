#include "daemon/net/redirect.hpp"

#include <algorithm>

namespace bluegreen::net {

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

http_request redirected_request(const http_request& sent, const url& from, const url& to,
                                int status) {
  http_request next = sent;
  next.url = to.text();
  bool to_get = (status == 303 && sent.method != "HEAD") ||
                ((status == 301 || status == 302) && sent.method == "POST");
  auto drop = [&](std::initializer_list<std::string_view> names) {
    std::erase_if(next.headers, [&](const http_header& h) {
      return std::any_of(names.begin(), names.end(),
                         [&](std::string_view n) { return header_name_is(h.name, n); });
    });
  };
  if (to_get) {
    next.method = "GET";
    next.body.clear();
    drop({"Content-Type", "Content-Encoding", "Content-Language", "Content-Location"});
  }
  if (!from.same_origin(to)) drop({"Authorization", "Cookie", "Proxy-Authorization", "Host"});
  return next;
}

}  // namespace bluegreen::net
