#include "cli/api_client.hpp"

#include <cctype>

#include "cli/text.hpp"

namespace bluegreen::cli {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// The API's error envelope as one line: its message and code.
std::string error_message(const json& body) {
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return "";
  const auto& error = body["error"];
  std::string message = error.value("message", std::string());
  std::string code = error.value("code", std::string());
  if (message.empty()) return code;
  return code.empty() ? message : message + " (" + code + ")";
}

}  // namespace

std::string path_segment(const std::string& text) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

api_client::api_client(connection where, std::chrono::milliseconds timeout)
    : where_(std::move(where)), timeout_(timeout) {}

net::http_request api_client::request(std::string method, const std::string& path, std::string body,
                                      const char* accept) const {
  net::http_request r;
  r.method = std::move(method);
  r.url = where_.url + path;
  r.headers.push_back({"User-Agent", "bluegreen/" BLUEGREEN_VERSION});
  r.headers.push_back({"Accept", accept});
  if (where_.token) r.headers.push_back({"Authorization", "Bearer " + *where_.token});
  if (!body.empty()) r.headers.push_back({"Content-Type", "application/json"});
  r.body = std::move(body);
  return r;
}

api_answer api_client::judge(const net::http_result& result, bool want_json) const {
  api_answer answer;
  if (!result.ok()) {
    answer.status = exit_for_error(result.error().kind);
    answer.problem = "cannot reach bluegreend at " + sanitise(where_.url) + " (from " +
                     where_.url_from + "): " + sanitise(result.error().message);
    return answer;
  }
  const auto& response = result.response();
  answer.http_status = response.status;
  answer.status = exit_for_status(response.status);
  answer.body = json::parse(response.body, nullptr, false);
  bool is_json = !answer.body.is_discarded();
  if (!is_json) answer.body = nullptr;
  if (answer.status == exit_ok) {
    if (want_json && !is_json) {
      answer.status = exit_server;
      answer.problem = "the answer from " + sanitise(where_.url) + " is not the API's JSON (HTTP " +
                       std::to_string(response.status) + "); is the URL bluegreend's?";
    }
    return answer;
  }
  std::string message = error_message(answer.body);
  if (message.empty()) {
    // Not the API's error (a proxy's page, another server): its status and
    // the start of what it said.
    std::string said = response.body.substr(0, 200);
    message = "HTTP " + std::to_string(response.status) + " " + response.reason +
              (said.empty() ? "" : ": " + said);
    if (answer.status == exit_refused && !is_json) answer.status = exit_server;
  }
  answer.problem = sanitise(message);
  if (response.status == 401 && !where_.token)
    answer.problem +=
        "; no token was given: use --token-file FILE, BLUEGREEN_TOKEN, or "
        "token_file in the config file";
  else if (response.status == 401)
    answer.problem += " (the token from " + where_.token_from + ")";
  return answer;
}

asio::awaitable<api_answer> api_client::call(api_request what) const {
  auto r = request(std::move(what.method), what.path, std::move(what.body), "application/json");
  net::request_options options;
  options.total_timeout = timeout_;
  options.connect_timeout = std::min(timeout_, std::chrono::milliseconds(10'000));
  options.max_body_bytes = 64 * 1024 * 1024;
  auto result = co_await client_.send(r, options);
  co_return judge(result, true);
}

asio::awaitable<api_answer> api_client::stream(
    std::string path, std::function<bool(const sse_event&)> on_event) const {
  auto r = request("GET", path, "", "text/event-stream");
  net::request_options options;
  options.connect_timeout = std::min(timeout_, std::chrono::milliseconds(10'000));
  // A followed operation may run for hours; the daemon says something at
  // least every 15 s, so a minute of silence means it is gone.
  options.total_timeout = std::chrono::hours(24 * 30);
  options.idle_timeout = std::chrono::seconds(60);
  sse_reader reader;
  net::http_client::body_sink sink = [&](std::string_view piece) {
    for (const auto& event : reader.feed(piece))
      if (!on_event(event)) return false;
    return !reader.overflowed();
  };
  auto result = co_await client_.send_streaming(r, options, sink);
  auto answer = judge(result, false);
  if (answer.status == exit_ok && reader.overflowed()) {
    answer.status = exit_server;
    answer.problem = "the stream from " + sanitise(where_.url) +
                     " sent a line or message longer than 1 MiB: not the API's events; is the "
                     "URL bluegreend's?";
  }
  co_return answer;
}

}  // namespace bluegreen::cli
