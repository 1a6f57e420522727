// The REST API as `bluegreen` calls it: one request with the token, its
// answer read as the API's JSON and judged into an exit status and a
// message; or a Server-Sent Events stream handed over event by event as it
// arrives. A thin caller of net::http_client (no Beast here).
//
// Thread-safety: used by the one coroutine of the command that runs.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/connection.hpp"
#include "cli/exit_status.hpp"
#include "cli/sse_reader.hpp"
#include "daemon/net/http_client.hpp"

namespace bluegreen::cli {

struct api_answer {
  exit_status status = exit_ok;
  int http_status = 0;  // 0 when there was no answer
  nlohmann::json body;  // the API's JSON (an error's too), or null
  std::string problem;  // for stderr when status is not exit_ok: what went wrong
};

// One request: "GET", "/api/v1/apps", and JSON text or nothing.
struct api_request {
  std::string method;
  std::string path;
  std::string body;
};

class api_client {
 public:
  explicit api_client(connection where, std::chrono::milliseconds timeout);

  // The path starts with "/api/". (A named value at the call site: see the
  // coroutine rule in docs/architecture.md.)
  boost::asio::awaitable<api_answer> call(api_request request) const;
  // GET `path` as an event stream: `on_event` sees each message as it comes
  // and returns false to stop. The answer is exit_ok when the stream ended
  // (either way); an error answer is judged as call() judges it.
  boost::asio::awaitable<api_answer> stream(std::string path,
                                            std::function<bool(const sse_event&)> on_event) const;

  const connection& where() const { return where_; }

 private:
  net::http_request request(std::string method, const std::string& path, std::string body,
                            const char* accept) const;
  api_answer judge(const net::http_result& result, bool want_json) const;

  connection where_;
  std::chrono::milliseconds timeout_;
  net::http_client client_;
};

// `text` percent-encoded for one path segment.
std::string path_segment(const std::string& text);

}  // namespace bluegreen::cli
