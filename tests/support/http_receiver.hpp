// An HTTP receiver for tests: a server on loopback (port bound at 0) that
// records every request it is sent (chat response_urls, notification
// webhooks) and answers each as the test says - 200 "ok" unless told to
// answer otherwise (a 429 with Retry-After, a 500, a redirect). One
// connection at a time on its own thread; every wait has a deadline, so no
// test can hang.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bluegreen::testing {

struct received_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct receiver_answer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "ok";
};

class http_receiver {
 public:
  // Listens on `address` (a 127.0.0.0/8 address), port 0.
  explicit http_receiver(const std::string& address = "127.0.0.1");
  ~http_receiver();
  http_receiver(const http_receiver&) = delete;
  http_receiver& operator=(const http_receiver&) = delete;

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" + path
  std::string url(const std::string& path = "/") const;

  // The next requests are answered with these, in order; after them, 200 "ok".
  void answer_next(receiver_answer answer);
  // Decides every answer from the request (replaces answer_next's queue).
  void answer_with(std::function<receiver_answer(const received_request&)> decide);

  // Waits until at least `count` requests were received; false at the deadline.
  bool wait_for(size_t count, std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // Waits until a received request satisfies `match`; false at the deadline.
  bool wait_until(const std::function<bool(const received_request&)>& match,
                  std::chrono::milliseconds deadline = std::chrono::seconds(30));
  std::vector<received_request> requests() const;
  // How many connections were accepted (a refused request makes none).
  size_t connections() const;

 private:
  void serve();
  void handle(int fd);

  int listen_fd_ = -1;
  int wake_fd_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::string address_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<received_request> requests_;
  std::deque<receiver_answer> queued_;
  std::function<receiver_answer(const received_request&)> decide_;
  size_t connections_ = 0;
  std::thread thread_;
};

}  // namespace bluegreen::testing
