// An SSE client for handler tests without sockets: it keeps everything a
// streamed response writes. Single-threaded, like the loop that runs it.
#pragma once

#include <string>

#include "api/http_message.hpp"

namespace bluegreen::testing {

class collecting_writer : public api::stream_writer {
 public:
  boost::asio::awaitable<bool> write(std::string data) override {
    text += data;
    co_return true;
  }
  std::string text;
};

}  // namespace bluegreen::testing
