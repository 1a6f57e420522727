// log_stream is the body of GET /api/v1/deployments/{id}/log?follow=1: the
// engine's log hub follows the log, and this writes what it gives as
// Server-Sent Events (`line` with the line id, `: keep-alive` after 15 s
// without a line, `end` with the operation). A thin adapter.
//
// Thread-safety: the io thread, like the engine.
#pragma once

#include <cstdint>

#include "api/http_message.hpp"

namespace bluegreen::engine {
class engine;
}

namespace bluegreen::api {

// The stream function of a followed log, from after line `after_id`; it
// ends once `still_allowed` (the request's token) says no.
std::function<boost::asio::awaitable<void>(stream_writer&)> log_stream(
    engine::engine& engine, std::int64_t id, std::int64_t after_id,
    std::function<bool()> still_allowed = {});

}  // namespace bluegreen::api
