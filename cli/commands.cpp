#include "cli/commands.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <ostream>

#include "cli/api_client.hpp"
#include "cli/views.hpp"
#include "daemon/duration.hpp"

namespace bluegreen::cli {

namespace asio = boost::asio;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The lines of bluegreend's watch (daemon/engine/switch_watch.cpp) that the
// client waits for.
constexpr std::string_view kWatchBegins = "watching ";
constexpr std::string_view kWatchStillFailing = "watch ended without switching back";

clock_time now() { return std::chrono::system_clock::now(); }

std::string app_path(const std::string& app) { return "/api/v1/apps/" + path_segment(app); }

// Whether an app's routing ("blue:100", "blue:90,green:10") sends all
// traffic to one colour: only then does bluegreend watch the switch.
bool all_to_one_colour(const json& routing) {
  if (!routing.is_string()) return false;
  std::string text = routing.get<std::string>();
  int serving = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = std::min(text.find(',', start), text.size());
    std::string part = text.substr(start, comma - start);
    size_t colon = part.find(':');
    if (colon == std::string::npos || part.substr(colon + 1) != "0") ++serving;
    start = comma + 1;
  }
  return serving == 1;
}

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
    if (inv_.json && answer.body.is_object()) io_.out << json_line(answer.body) << std::endl;
    io_.err << "bluegreen: " << answer.problem << std::endl;
    return answer.status;
  }

  void print_json(const json& body) { io_.out << json_line(body) << std::endl; }

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
    std::int64_t last_line = 0;
    bool watch_began = false;
    std::string path = "/api/v1/deployments/" + std::to_string(id) + "/log?follow=1";
    std::function<bool(const sse_event&, json&)> on_data = [&](const sse_event& e, json& data) {
      if (e.event != "line" && e.event != "end") return true;
      if (e.event == "line") {
        last_line = std::max(last_line, data.value("id", last_line));
        if (data.value("text", std::string()).starts_with(kWatchBegins)) watch_began = true;
      }
      if (inv_.json)
        io_.out << json_line(data) << std::endl;
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
    bool may_be_watched = inv_.cmd == command::deploy || inv_.cmd == command::switch_ ||
                          inv_.cmd == command::rollback;
    if (may_be_watched && !inv_.no_watch && end->value("state", std::string()) == "succeeded")
      co_return co_await through_the_watch(id, *end, last_line, watch_began);
    co_return exit_for_state(end->value("state", std::string()));
  }

  // An operation that sent all traffic to one colour has "succeeded", but
  // bluegreend's watch (docs/api.md "The watch") may still switch back and
  // make it rolled_back or failed. Stays through the watch: the operation
  // and its new log lines every watch interval, until a "watch ended" line,
  // another state, or the watch's length and a margin have passed (another
  // accepted switch ends the watch without a word). When no watch has begun
  // two seconds after the end (the daemon does not watch a switch from an
  // unknown routing, nor while it stops), there is nothing to wait for.
  asio::awaitable<int> through_the_watch(std::int64_t id, json op, std::int64_t after,
                                         bool watch_began) {
    std::string app = op.value("app", std::string());
    std::string path = app_path(app);
    api_request request{"GET", path, ""};
    auto view = co_await api_.call(request);
    if (view.status != exit_ok) co_return failed(view);
    const json promote = view.body.value("promote", json::object());
    auto watch = daemon::parse_duration(promote.value("watch", std::string("0s")));
    auto interval = daemon::parse_duration(promote.value("watch_interval", std::string("1s")));
    if (!watch || watch->count() == 0 || !interval ||
        !all_to_one_colour(view.body.value("routing", json())))
      co_return exit_for_state(op.value("state", std::string()));
    auto every = std::max<std::chrono::milliseconds>(*interval, 1s);
    auto began_waiting = std::chrono::steady_clock::now();
    auto deadline = began_waiting + *watch + 2 * every + 5s;
    (inv_.json ? io_.err : io_.out)
        << "bluegreend watches " << sanitise(view.body.value("public_url", std::string()))
        << " for " << daemon::format_duration(*watch)
        << " and switches back if it fails; waiting (Ctrl-C leaves the watch to bluegreend: "
           "traffic has already moved; --no-watch does not wait)"
        << std::endl;

    std::string op_path = "/api/v1/deployments/" + std::to_string(id);
    bool still_failing = false;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      timer.expires_after(every);
      co_await timer.async_wait(asio::use_awaitable);
      // The operation first, then its lines: the lines that led to a new
      // state are written before it.
      api_request op_request{"GET", op_path, ""};
      auto got = co_await api_.call(op_request);
      if (got.status != exit_ok) co_return failed(got);
      op = got.body.value("operation", json::object());
      bool ended = false;
      std::function<void(const json&)> on_line = [&](const json& line) {
        std::string text = line.value("text", std::string());
        if (text.starts_with(kWatchBegins)) watch_began = true;
        if (text.starts_with(kWatchStillFailing)) still_failing = true;
        if (text.starts_with("watch ended")) ended = true;
        if (inv_.json)
          print_json(line);
        else
          io_.out << log_line_view(line, io_.paint) << std::endl;
      };
      auto refused = co_await log_lines_after(op_path, after, on_line);
      if (refused) co_return failed(*refused);
      auto waited = std::chrono::steady_clock::now() - began_waiting;
      if (ended || op.value("state", std::string()) != "succeeded" ||
          std::chrono::steady_clock::now() >= deadline || (!watch_began && waited >= 2s))
        break;
    }
    if (inv_.json)
      print_json(op);
    else
      io_.out << operation_end_view(op, io_.paint, now()) << std::endl;
    if (still_failing && op.value("state", std::string()) == "succeeded") {
      io_.err << "bluegreen: the watch ended without switching back (the app stayed busy), and "
                 "the new colour still fails its checks: look at it, or roll back"
              << std::endl;
      co_return exit_operation_failed;
    }
    co_return exit_for_state(op.value("state", std::string()));
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

  // An operation's log lines after line `after` (which moves on), page by
  // page, each to `on_line`. The failed answer, or nothing.
  asio::awaitable<std::optional<api_answer>> log_lines_after(
      std::string op_path, std::int64_t& after, std::function<void(const json&)> on_line) {
    constexpr size_t page_size = 10000;
    for (;;) {
      std::string path = op_path + "/log?limit=" + std::to_string(page_size) +
                         "&after=" + std::to_string(after);
      api_request request{"GET", path, ""};
      auto page = co_await api_.call(request);
      if (page.status != exit_ok) co_return page;
      const json got = page.body.value("lines", json::array());
      for (const auto& line : got) {
        after = std::max(after, line.value("id", after));
        on_line(line);
      }
      if (got.size() < page_size) co_return std::nullopt;
    }
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
    std::function<void(const json&)> on_line = [&](const json& line) {
      if (!inv_.json) io_.out << log_line_view(line, io_.paint) << "\n";
      lines.push_back(line);
    };
    auto refused = co_await log_lines_after(op_path, after, on_line);
    if (refused) co_return failed(*refused);
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
        io_.out << json_line(data) << std::endl;
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
      if (is_app_name(name)) io_.out << name << "\n";
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
