#include "cli/commands.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <ostream>

#include "cli/api_client.hpp"
#include "cli/views.hpp"

namespace bluegreen::cli {

namespace asio = boost::asio;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

clock_time now() { return std::chrono::system_clock::now(); }

std::string app_path(const std::string& app) { return "/api/v1/apps/" + path_segment(app); }

class runner {
 public:
  runner(const invocation& inv, const api_client& api, output& io)
      : inv_(inv), api_(api), io_(io) {}

  asio::awaitable<int> run() {
    switch (inv_.cmd) {
      case command::status:
        co_return co_await status();
      case command::deploy:
        co_return co_await deploy();
      case command::switch_:
        co_return co_await switch_traffic();
      case command::rollback:
        co_return co_await rollback();
      case command::task:
        co_return co_await task();
      case command::lock:
        co_return co_await change_lock(true);
      case command::unlock:
        co_return co_await change_lock(false);
      case command::cancel:
        co_return co_await cancel();
      case command::logs:
        co_return co_await logs();
      case command::history:
        co_return co_await history();
      case command::events:
        co_return co_await events();
      case command::complete:
        co_return co_await complete();
      case command::help:
      case command::version:
        break;
    }
    co_return exit_usage;
  }

 private:
  // A failed answer: its message on stderr (and with --json the API's error
  // JSON on stdout, for scripts), and its exit status.
  int failed(const api_answer& answer) {
    if (inv_.json && answer.body.is_object()) io_.out << answer.body.dump() << std::endl;
    io_.err << "bluegreen: " << answer.problem << std::endl;
    return answer.status;
  }

  void print_json(const json& body) { io_.out << body.dump() << std::endl; }

  asio::awaitable<int> status() {
    std::string path = inv_.operands.empty() ? "/api/v1/apps" : app_path(inv_.operands[0]);
    api_request request{"GET", path, ""};
    auto answer = co_await api_.call(request);
    if (answer.status != exit_ok) co_return failed(answer);
    if (inv_.json)
      print_json(answer.body);
    else if (inv_.operands.empty())
      io_.out << apps_view(answer.body, io_.paint, now());
    else
      io_.out << app_view(answer.body, io_.paint, now());
    co_return exit_ok;
  }

  // Prints the accepted operation, then follows it when asked.
  asio::awaitable<int> started(const api_answer& answer) {
    const json& op = answer.body.value("operation", json::object());
    if (inv_.json)
      print_json(answer.body);
    else
      io_.out << operation_summary(op, io_.paint) << std::endl;
    if (!inv_.follow) {
      if (!inv_.json)
        io_.out << "follow it: bluegreen logs " << op.value("id", 0) << " --follow" << std::endl;
      co_return exit_ok;
    }
    std::int64_t id = op.value("id", std::int64_t{0});
    co_return co_await follow(id);
  }

  // Reads an event stream: each message's data, as JSON, to `on_data` (false
  // stops). exit_ok once the stream has ended; otherwise the failure, told.
  asio::awaitable<int> read_stream(std::string path, std::string what,
                                   std::function<bool(const sse_event&, json&)> on_data) {
    bool garbled = false;
    std::function<bool(const sse_event&)> on_event = [&](const sse_event& e) {
      auto data = json::parse(e.data, nullptr, false);
      if (data.is_discarded() || !data.is_object()) {
        garbled = true;
        return false;
      }
      return on_data(e, data);
    };
    auto answer = co_await api_.stream(path, on_event);
    if (answer.status != exit_ok) co_return failed(answer);
    if (garbled) {
      io_.err << "bluegreen: the " << what << " from bluegreend is not the API's JSON" << std::endl;
      co_return exit_server;
    }
    co_return exit_ok;
  }

  // The operation's log as it is written, then its end.
  asio::awaitable<int> follow(std::int64_t id) {
    std::optional<json> end;
    std::string path = "/api/v1/deployments/" + std::to_string(id) + "/log?follow=1";
    std::function<bool(const sse_event&, json&)> on_data = [&](const sse_event& e, json& data) {
      if (e.event != "line" && e.event != "end") return true;
      if (inv_.json)
        io_.out << data.dump() << std::endl;
      else if (e.event == "line")
        io_.out << log_line_view(data, io_.paint) << std::endl;
      if (e.event == "end") {
        end = std::move(data);
        return false;
      }
      return true;
    };
    std::string what = "log stream";
    int read = co_await read_stream(path, what, on_data);
    if (read != exit_ok) co_return read;
    if (!end) {
      io_.err << "bluegreen: the log stream ended before operation #" << id
              << " did (bluegreend stopped?); follow it again with: bluegreen logs " << id
              << " --follow" << std::endl;
      co_return exit_unreachable;
    }
    if (!inv_.json) io_.out << operation_end_view(*end, io_.paint, now()) << std::endl;
    co_return exit_for_state(end->value("state", std::string()));
  }

  // POSTs what starts an operation; then as started() says.
  asio::awaitable<int> start(std::string path, json body) {
    api_request request{"POST", path, body.dump()};
    auto answer = co_await api_.call(request);
    if (answer.status != exit_ok) co_return failed(answer);
    co_return co_await started(answer);
  }

  asio::awaitable<int> deploy() {
    std::string app = inv_.operands[0];
    std::string ref;
    if (inv_.operands.size() > 1) {
      ref = inv_.operands[1];
    } else {
      std::string path = app_path(app);
      api_request request{"GET", path, ""};
      auto view = co_await api_.call(request);
      if (view.status != exit_ok) co_return failed(view);
      ref = view.body.value("default_ref", std::string("main"));
    }
    json body = {{"ref", ref}};
    if (inv_.force) body["force"] = true;
    std::string path = app_path(app) + "/deployments";
    co_return co_await start(path, body);
  }

  asio::awaitable<int> switch_traffic() {
    json body = json::object();
    if (inv_.to) body["to"] = *inv_.to;
    for (const auto& [colour, percent] : inv_.weights) body["weights"][colour] = percent;
    std::string path = app_path(inv_.operands[0]) + "/switch";
    co_return co_await start(path, body);
  }

  asio::awaitable<int> rollback() {
    std::string path = app_path(inv_.operands[0]) + "/rollback";
    json body = json::object();
    co_return co_await start(path, body);
  }

  asio::awaitable<int> task() {
    json body = json::object();
    if (inv_.on) body["colour"] = *inv_.on;
    std::string path = app_path(inv_.operands[0]) + "/tasks/" + path_segment(inv_.operands[1]);
    co_return co_await start(path, body);
  }

  // lock (POST with the reason) and unlock (DELETE): both answer with the lock.
  asio::awaitable<int> change_lock(bool lock) {
    std::string path = app_path(inv_.operands[0]) + "/lock";
    std::string text = lock ? json{{"reason", inv_.operands[1]}}.dump() : "";
    api_request request{lock ? "POST" : "DELETE", path, text};
    auto answer = co_await api_.call(request);
    if (answer.status != exit_ok) co_return failed(answer);
    if (inv_.json) {
      print_json(answer.body);
    } else {
      const json held = answer.body.value(lock ? "lock" : "unlocked", json::object());
      io_.out << (lock ? "locked " : "unlocked ") << cell(answer.body.value("app", json()))
              << (lock ? " (by " : " (was locked by ") << cell(held.value("holder", json())) << ": "
              << cell(held.value("reason", json())) << ")" << std::endl;
    }
    co_return exit_ok;
  }

  asio::awaitable<int> cancel() {
    std::string path = "/api/v1/deployments/" + inv_.operands[0] + "/cancel";
    api_request request{"POST", path, "{}"};
    auto answer = co_await api_.call(request);
    if (answer.status != exit_ok) co_return failed(answer);
    if (inv_.json) {
      print_json(answer.body);
    } else {
      const json op = answer.body.value("operation", json::object());
      io_.out << "cancelling " << operation_summary(op, io_.paint) << std::endl
              << "follow it: bluegreen logs " << op.value("id", 0) << " --follow" << std::endl;
    }
    co_return exit_ok;
  }

  asio::awaitable<int> logs() {
    std::int64_t id = std::stoll(inv_.operands[0]);
    if (inv_.follow) co_return co_await follow(id);
    std::string op_path = "/api/v1/deployments/" + std::to_string(id);
    api_request request{"GET", op_path, ""};
    auto op = co_await api_.call(request);
    if (op.status != exit_ok) co_return failed(op);
    json lines = json::array();
    std::int64_t after = 0;
    for (;;) {
      std::string path = op_path + "/log?limit=10000&after=" + std::to_string(after);
      api_request request{"GET", path, ""};
      auto page = co_await api_.call(request);
      if (page.status != exit_ok) co_return failed(page);
      const json got = page.body.value("lines", json::array());
      for (const auto& line : got) {
        after = std::max(after, line.value("id", after));
        if (!inv_.json) io_.out << log_line_view(line, io_.paint) << "\n";
        lines.push_back(line);
      }
      if (got.size() < 10000) break;
    }
    if (inv_.json) {
      print_json(json{{"lines", lines}});
    } else {
      const json operation = op.body.value("operation", json::object());
      std::string state = operation.value("state", std::string());
      if (state == "running")
        io_.out << "=> " << io_.paint.word(state) << " (follow it: bluegreen logs " << id
                << " --follow)" << std::endl;
      else
        io_.out << operation_end_view(operation, io_.paint, now()) << std::endl;
    }
    co_return exit_ok;
  }

  asio::awaitable<int> history() {
    std::string limit = std::to_string(inv_.limit);
    json operations = json::array();
    std::vector<std::string> apps;
    if (!inv_.operands.empty()) {
      apps.push_back(inv_.operands[0]);
    } else {
      std::string path = "/api/v1/apps";
      api_request request{"GET", path, ""};
      auto listing = co_await api_.call(request);
      if (listing.status != exit_ok) co_return failed(listing);
      for (const auto& app : listing.body.value("apps", json::array()))
        apps.push_back(app.value("name", std::string()));
    }
    for (const auto& app : apps) {
      std::string path = app_path(app) + "/deployments?limit=" + limit;
      api_request request{"GET", path, ""};
      auto page = co_await api_.call(request);
      if (page.status != exit_ok) co_return failed(page);
      for (const auto& op : page.body.value("operations", json::array())) operations.push_back(op);
    }
    std::sort(operations.begin(), operations.end(),
              [](const json& a, const json& b) { return a.value("id", 0) > b.value("id", 0); });
    if (operations.size() > static_cast<size_t>(inv_.limit))
      operations.erase(operations.begin() + inv_.limit, operations.end());
    if (inv_.json)
      print_json(json{{"operations", operations}});
    else
      io_.out << operations_view(operations, io_.paint, now());
    co_return exit_ok;
  }

  asio::awaitable<int> events() {
    if (!inv_.follow) {
      std::string path = "/api/v1/events?limit=" + std::to_string(inv_.limit);
      api_request request{"GET", path, ""};
      auto answer = co_await api_.call(request);
      if (answer.status != exit_ok) co_return failed(answer);
      if (inv_.json)
        print_json(answer.body);
      else
        io_.out << audit_view(answer.body, io_.paint, now());
      co_return exit_ok;
    }
    std::function<bool(const sse_event&, json&)> on_data = [&](const sse_event&, json& data) {
      if (inv_.json)
        io_.out << data.dump() << std::endl;
      else
        io_.out << stream_event_view(data, io_.paint) << std::endl;
      return true;
    };
    std::string path = "/api/v1/events/stream";
    std::string what = "event stream";
    int read = co_await read_stream(path, what, on_data);
    if (read != exit_ok) co_return read;
    io_.err << "bluegreen: the event stream ended (bluegreend stopped?)" << std::endl;
    co_return exit_unreachable;
  }

  // For the shell completions: quick, and silent on any failure.
  asio::awaitable<int> complete() {
    if (inv_.operands.empty()) co_return exit_usage;
    if (inv_.operands[0] == "commands") {
      for (const auto& name : command_names()) io_.out << name << "\n";
      co_return exit_ok;
    }
    if (inv_.operands[0] != "apps") co_return exit_usage;
    std::string path = "/api/v1/apps";
    api_request request{"GET", path, ""};
    auto answer = co_await api_.call(request);
    if (answer.status != exit_ok) co_return answer.status;
    for (const auto& app : answer.body.value("apps", json::array())) {
      std::string name = app.value("name", std::string());
      if (sanitise(name) == name && name.find_first_of(" \t") == std::string::npos)
        io_.out << name << "\n";
    }
    co_return exit_ok;
  }

  const invocation& inv_;
  const api_client& api_;
  output& io_;
};

}  // namespace

int run_command(const invocation& inv, const connection& where, output& io) {
  asio::io_context context(1);
  api_client api(where, inv.cmd == command::complete ? 2s : 60s);
  runner r(inv, api, io);
  int status = exit_server;
  asio::co_spawn(context, r.run(), [&](std::exception_ptr e, int result) {
    if (!e) {
      status = result;
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      io.err << "bluegreen: " << sanitise(ex.what()) << std::endl;
    }
    status = exit_server;
  });
  context.run();
  return status;
}

}  // namespace bluegreen::cli
