// chat_service runs the slash commands that come from Slack and Mattermost
// (the API's /hooks routes have verified them and read their forms): it
// parses the text, checks the [[chat.allow]] rules, and runs the command
// through the engine as the chat user ({"alice (U123)", "slack"}), so locks,
// drift and one operation per app refuse it exactly as they refuse the API.
//
// A chat wants its answer within 3 s, and accepting an operation reads the
// load balancer, which can take longer: the operation is started as a task
// of its own and the answer waits for its acceptance at most
// `answer_within`; when that passes, the answer is "working on it" and the
// outcome is posted to the command's response_url instead. After an
// operation is accepted, the task follows it (the engine's event stream)
// and posts its progress and end to response_url: at most `max_posts`
// posts within `post_window` of the command, as chats allow. Posts go
// through the outbound address policy ([outbound] allow). The tasks run in
// the service's own task_group, which stop() ends (a graceful stop never
// waits for a chat).
//
// Thread-safety: the io thread that owns the engine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "daemon/chat/allow_rules.hpp"
#include "daemon/chat/command.hpp"
#include "daemon/chat/replies.hpp"
#include "daemon/engine/task_group.hpp"
#include "daemon/net/http_client.hpp"

namespace boost::asio {
class io_context;
}

namespace bluegreen::chat {

// A slash command as the chat sent it.
struct slash_request {
  enum platform platform = platform::slack;
  caller from;
  std::string command;  // "/deploy", as the chat calls it
  std::string text;     // what follows the command
  std::string response_url;
};

struct chat_options {
  // How long an answer waits for an operation's acceptance (chats give
  // up after 3 s).
  std::chrono::milliseconds answer_within{2000};
  std::size_t max_posts = 5;
  std::chrono::seconds post_window{30 * 60};
  std::chrono::milliseconds post_timeout{5000};
};

class chat_service {
 public:
  chat_service(boost::asio::io_context& io, engine::engine& core, chat_options options = {});
  ~chat_service();
  chat_service(const chat_service&) = delete;
  chat_service& operator=(const chat_service&) = delete;

  // The answer to `req`, within answer_within (plus the engine's
  // synchronous calls); never throws.
  boost::asio::awaitable<reply> handle(slash_request req);

  // Ends every task (following operations, posting); none starts after.
  void stop() { tasks_.stop(); }
  std::size_t tasks_running() const { return tasks_.running(); }

 private:
  struct pending_answer;
  struct response_budget;

  boost::asio::awaitable<reply> run(const slash_request& req, const command& c);
  reply status(const slash_request& req, const command& c);
  reply cancel(const command& c, const engine::actor& who);
  boost::asio::awaitable<reply> start_operation(slash_request req, command c, engine::actor who);
  // The task of one operation: accept it, answer (or post the answer),
  // follow it and post its progress.
  boost::asio::awaitable<void> operate(slash_request req, command c, engine::actor who,
                                       std::shared_ptr<pending_answer> pending,
                                       std::shared_ptr<response_budget> budget);
  boost::asio::awaitable<void> follow(std::int64_t id, storage::operation_state told,
                                      std::string slash, std::string target,
                                      std::shared_ptr<response_budget> budget);
  boost::asio::awaitable<void> post(std::shared_ptr<response_budget> budget, reply r);

  boost::asio::io_context& io_;
  engine::engine& core_;
  chat_options options_;
  net::http_client client_;
  engine::task_group tasks_;
};

}  // namespace bluegreen::chat
