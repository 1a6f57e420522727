// traffic_gate lets exactly one traffic change per app run at any moment,
// whoever starts it (an API switch or rollback, the watch's switch back,
// recovery re-applying a half-done switch). A change enters the app's gate
// and holds it until the returned pass is destroyed; later changes of the
// same app wait their turn, in order. Apps do not wait for each other.
//
// Thread-safety: use from the io_context's thread only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace bluegreen::engine {

class traffic_gate {
 public:
  explicit traffic_gate(boost::asio::io_context& io);
  ~traffic_gate();
  traffic_gate(const traffic_gate&) = delete;
  traffic_gate& operator=(const traffic_gate&) = delete;

  // Proof of holding an app's gate; leaving (destruction) lets the next in.
  class pass {
   public:
    pass() = default;
    pass(pass&& other) noexcept : gate_(other.gate_), app_(std::move(other.app_)) {
      other.gate_ = nullptr;
    }
    pass& operator=(pass&&) = delete;
    ~pass();

   private:
    friend class traffic_gate;
    pass(traffic_gate* gate, std::string app) : gate_(gate), app_(std::move(app)) {}
    traffic_gate* gate_ = nullptr;
    std::string app_;
  };

  // Waits until no other change of `app` runs, then holds its gate.
  boost::asio::awaitable<pass> enter(std::string app);
  // True while a change of `app` holds its gate.
  bool busy(std::string_view app) const;
  // How many changes of `app` have asked for its gate so far: a reader that
  // sees the same number before and after it looked (and the gate free)
  // knows no change began or happened meanwhile.
  std::uint64_t changes(std::string_view app) const;

 private:
  struct waiter;
  struct lane {
    bool held = false;
    std::deque<std::shared_ptr<waiter>> queue;
  };
  void leave(const std::string& app);

  boost::asio::io_context& io_;
  std::map<std::string, lane, std::less<>> lanes_;
  std::map<std::string, std::uint64_t, std::less<>> changes_;
};

}  // namespace bluegreen::engine
