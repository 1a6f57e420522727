#include "api/origin_check.hpp"

#include <algorithm>
#include <cctype>

#include "api/header_value.hpp"
#include "daemon/net/url.hpp"

namespace bluegreen::api {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

refusal cross_origin(std::string why) {
  return refusal{403, "cross_origin",
                 "refused: " + why +
                     ", so it came from another site (or from a client that hides where it "
                     "came from); nothing was done. Use the dashboard served by this daemon, or "
                     "send an API token in an Authorization header"};
}

}  // namespace

std::optional<std::string> origin_of_url(std::string_view url) {
  auto parsed = net::parse_url(url);
  if (!parsed) return std::nullopt;
  return lower(parsed->scheme + "://" + parsed->authority());
}

bool is_safe_method(std::string_view method) { return method == "GET" || method == "HEAD"; }

std::optional<refusal> cross_site_refusal(const request& req, std::string_view public_origin,
                                          bool origin_required) {
  if (const std::string* site = req.header("sec-fetch-site");
      site && lower(trim_ows(*site)) == "cross-site")
    return cross_origin("the browser says this request was started by another site");
  const std::string* origin = req.header("origin");
  if (!origin) {
    if (!origin_required) return std::nullopt;
    return cross_origin("the request has no Origin header");
  }
  std::string sent = lower(trim_ows(*origin));
  const std::string* host = req.header("host");
  std::string own_host = host ? lower(trim_ows(*host)) : std::string();
  bool own = (!own_host.empty() && sent == "http://" + own_host) ||
             (!public_origin.empty() && sent == lower(public_origin));
  if (own) return std::nullopt;
  // The Origin is quoted only cut short and without control characters: it
  // goes back into a JSON message and the log.
  std::string shown = sent.substr(0, 100);
  std::replace_if(
      shown.begin(), shown.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }, '?');
  return cross_origin("the request's Origin \"" + shown + "\" is not this daemon's");
}

}  // namespace bluegreen::api
