#include "api/event_stream.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/error_response.hpp"
#include "api/sse.hpp"
#include "daemon/engine/engine.hpp"

namespace bluegreen::api {

namespace {

using nlohmann::json;
namespace asio = boost::asio;

constexpr int kPage = 500;

// An event id as a client sends it back; nothing when it is not one.
std::optional<std::int64_t> event_id(const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

json event_json(const storage::event_record& event) {
  json out = json::parse(event.data, nullptr, false);
  if (!out.is_object()) out = json::object();
  out["id"] = event.id;
  out["time"] = event.at;
  out["type"] = event.type;
  out["app"] = event.app ? json(*event.app) : json(nullptr);
  out["operation_id"] = event.operation_id ? json(*event.operation_id) : json(nullptr);
  return out;
}

handler event_stream_handler(engine::engine& engine, event_stream_options options) {
  return [&engine, options](const request& req,
                            const call_context& ctx) -> asio::awaitable<response> {
    // Last-Event-ID (an EventSource reconnecting) wins over ?after= (its
    // first connection, which cannot set headers).
    std::optional<std::int64_t> from;
    const std::string* given = req.header("last-event-id");
    if (given && given->empty()) given = nullptr;  // an EventSource that has seen no id
    std::string last_given;
    if (given && given->find(',') != std::string::npos) {
      // A repeated header arrives joined with ", "; its last value counts.
      last_given = given->substr(given->rfind(',') + 1);
      last_given.erase(0, last_given.find_first_not_of(' '));
      given = &last_given;
    }
    auto after = ctx.query.find("after");
    if (given || after != ctx.query.end()) {
      const std::string& text = given ? *given : after->second;
      from = event_id(text);
      if (!from)
        co_return error_response(400, "invalid_parameter",
                                 std::string(given ? "Last-Event-ID" : "query parameter 'after'") +
                                     " must be an event id (a whole number from 0), as sent in "
                                     "the stream's 'id:' lines");
    }
    std::optional<std::string> app;
    if (auto it = ctx.query.find("app"); it != ctx.query.end()) {
      if (!engine.app(it->second))
        co_return error_response(404, "unknown_app",
                                 "no app named \"" + it->second + "\" in the configuration");
      app = it->second;
    }
    engine::event_hub& hub = engine.event_stream();
    // Decided now, before the client can see the header: what is committed
    // after this answer is sent.
    std::int64_t newest = hub.newest();
    std::int64_t start = from.value_or(newest);
    bool reset = from && !hub.covers(*from);

    response r;
    r.content_type = "text/event-stream";
    r.headers.emplace_back("X-Accel-Buffering", "no");
    r.stream = [&hub, options, app, start, reset, newest,
                still_allowed = ctx.still_allowed](stream_writer& out) -> asio::awaitable<void> {
      using clock = std::chrono::steady_clock;
      credential_recheck allowed(still_allowed);
      std::int64_t cursor = start;
      if (reset) {
        json data = {
            {"type", "reset"},
            {"last_event_id", start},
            {"newest", newest},
            {"message", "events after " + std::to_string(start) +
                            " are no longer kept; read the state again (GET /api/v1/apps) and "
                            "go on from this event"}};
        std::string chunk = sse_message("reset", data, newest);
        if (!co_await out.write(chunk)) co_return;
        cursor = newest;
      }
      std::optional<std::string_view> filter;
      if (app) filter = *app;
      auto last_write = clock::now();
      for (;;) {
        auto page = hub.read(cursor, kPage, filter);
        if (!allowed.ok()) co_return;  // the token was revoked: the stream ends
        for (const auto& e : page.events) {
          std::string chunk = sse_message(e.type, event_json(e), e.id);
          if (!co_await out.write(chunk)) co_return;
          last_write = clock::now();
        }
        cursor = page.cursor;
        if (page.events.size() == kPage) continue;
        if (hub.stopping()) co_return;
        auto quiet =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - last_write);
        if (quiet >= options.heartbeat) {
          if (!allowed.ok()) co_return;
          std::string ping(kSseHeartbeat);
          if (!co_await out.write(ping)) co_return;
          last_write = clock::now();
          continue;
        }
        std::chrono::milliseconds left = options.heartbeat - quiet;
        co_await hub.wait(cursor, left);
        if (hub.stopping()) co_return;
      }
    };
    co_return r;
  };
}

}  // namespace bluegreen::api
