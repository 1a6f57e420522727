#include "daemon/engine/task_group.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace bluegreen::engine {

namespace asio = boost::asio;

task_group::~task_group() {
  *alive_ = false;
  stop();
}

bool task_group::spawn(std::string name, asio::awaitable<void> work) {
  if (stopping_) return false;
  std::uint64_t id = next_++;
  auto signal = std::make_shared<asio::cancellation_signal>();
  running_.emplace(id, signal);
  asio::co_spawn(io_, std::move(work),
                 asio::bind_cancellation_slot(
                     signal->slot(), [this, alive = alive_, id, name = std::move(name),
                                      signal](std::exception_ptr e) {
                       if (e) {
                         try {
                           std::rethrow_exception(e);
                         } catch (const std::exception& ex) {
                           spdlog::error("{} failed: {}", name, ex.what());
                         } catch (...) {
                           spdlog::error("{} failed with an unknown exception", name);
                         }
                       }
                       if (*alive) running_.erase(id);
                     }));
  return true;
}

void task_group::stop() {
  stopping_ = true;
  // Emitting may end a task at once, which erases it: emit over a copy.
  auto running = running_;
  for (auto& [id, signal] : running) signal->emit(asio::cancellation_type::terminal);
}

}  // namespace bluegreen::engine
