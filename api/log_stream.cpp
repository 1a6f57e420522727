#include "api/log_stream.hpp"

#include <nlohmann/json.hpp>

#include "api/json_views.hpp"
#include "api/sse.hpp"
#include "daemon/engine/engine.hpp"

namespace bluegreen::api {

namespace {

namespace asio = boost::asio;

class sse_log_follower final : public engine::log_follower {
 public:
  sse_log_follower(stream_writer& out, std::function<bool()> still_allowed)
      : out_(out), allowed_(std::move(still_allowed)) {}

  asio::awaitable<bool> line(const storage::log_line& l) override {
    if (!allowed_.ok()) co_return false;
    std::string chunk = sse_message("line", log_line_json(l), l.id);
    co_return co_await out_.write(chunk);
  }
  asio::awaitable<bool> idle() override {
    if (!allowed_.ok()) co_return false;
    std::string ping = ": keep-alive\n\n";
    co_return co_await out_.write(ping);
  }
  asio::awaitable<void> end(const storage::operation_record& op) override {
    std::string chunk = sse_message("end", operation_json(op), std::nullopt);
    co_await out_.write(chunk);
  }

 private:
  stream_writer& out_;
  credential_recheck allowed_;
};

}  // namespace

std::function<asio::awaitable<void>(stream_writer&)> log_stream(engine::engine& engine,
                                                                std::int64_t id,
                                                                std::int64_t after_id,
                                                                std::function<bool()> still_allowed) {
  return [&engine, id, after_id,
          still_allowed = std::move(still_allowed)](stream_writer& out) -> asio::awaitable<void> {
    sse_log_follower follower(out, still_allowed);
    std::chrono::milliseconds quiet = std::chrono::seconds(15);
    co_await engine.follow_log(id, after_id, follower, quiet);
  };
}

}  // namespace bluegreen::api
