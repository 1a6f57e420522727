// event_stream serves GET /api/v1/events/stream: the engine's events
// (operations started, updated, finished; apps' stored state changed) as
// Server-Sent Events, read from the stored history at the client's pace.
// A client that reconnects with Last-Event-ID (or ?after=) gets every event
// after it that is still kept, or a `reset` event when some are not.
// Heartbeat comments keep idle streams open through proxies. A graceful
// stop ends the streams.
//
// Thread-safety: the io thread, like the engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>

#include "api/http_message.hpp"
#include "api/router.hpp"
#include "storage/event_repository.hpp"

namespace bluegreen::engine {
class engine;
}

namespace bluegreen::api {

struct event_stream_options {
  // A comment line after this long without an event.
  std::chrono::milliseconds heartbeat = std::chrono::seconds(15);
};

// The handler of GET /api/v1/events/stream.
handler event_stream_handler(engine::engine& engine, event_stream_options options = {});

// One stored event as the stream sends it: id, time, type, app,
// operation_id, and the event's own fields.
nlohmann::json event_json(const storage::event_record& event);

}  // namespace bluegreen::api
