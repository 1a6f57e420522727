#include "daemon/traffic/fanout_backend.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>

namespace bluegreen::traffic {

namespace asio = boost::asio;

namespace {

// The results of the members' calls, and the timer the caller waits on
// until the last one is in.
struct gathering {
  gathering(asio::any_io_executor executor, std::size_t count)
      : done(std::move(executor), std::chrono::steady_clock::time_point::max()),
        left(count),
        results(count) {}

  void finish(std::size_t i, outcome r) {
    results[i] = std::move(r);
    if (--left == 0) done.cancel();
  }

  asio::steady_timer done;
  std::size_t left;
  std::vector<std::optional<outcome>> results;
};

asio::awaitable<void> call_member(std::shared_ptr<gathering> all, std::size_t i,
                                  std::shared_ptr<backend> lb, std::optional<routing> target,
                                  log_fn log) {
  if (target) {
    routing to = *target;
    auto r = co_await lb->route(to, log);
    all->finish(i, std::move(r));
  } else {
    auto r = co_await lb->current(log);
    all->finish(i, std::move(r));
  }
}

// Each line a member logs, with its name in front.
log_fn prefixed(const log_fn& log, const std::string& name) {
  if (!log) return log;
  return [log, name](const std::string& line) { log(name + ": " + line); };
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(separator)) + p;
  return out;
}

// A member's failure that leaves its load balancer as it was: its backend
// restored or never changed it (nginx restores its file when the test or
// the reload fails). Any other failure may have changed it.
bool left_unchanged(const daemon::failure& f) {
  return f.code == "backend_failed" || f.code == "weights_unsupported";
}

}  // namespace

fanout_backend::fanout_backend(std::vector<member> members) : members_(std::move(members)) {}

bool fanout_backend::supports_weights() const {
  for (const auto& m : members_)
    if (!m.lb->supports_weights()) return false;
  return !members_.empty();
}

asio::awaitable<std::vector<outcome>> fanout_backend::on_each(
    std::vector<std::optional<routing>> targets, bool read, log_fn log) {
  auto executor = co_await asio::this_coro::executor;
  auto all = std::make_shared<gathering>(executor, members_.size());
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!targets[i] && !read) {
      all->finish(i, backend_failure("skipped", "not asked"));
      continue;
    }
    // A member that throws still ends, as a failure, so the wait below
    // always ends.
    asio::co_spawn(executor,
                   call_member(all, i, members_[i].lb, targets[i], prefixed(log, members_[i].name)),
                   [all, i](std::exception_ptr e) {
                     if (!e) return;
                     std::string why = "internal error";
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       why += std::string(": ") + ex.what();
                     } catch (...) {
                     }
                     all->finish(i, backend_failure("backend_failed", why));
                   });
  }
  if (all->left > 0) co_await all->done.async_wait(asio::as_tuple(asio::use_awaitable));
  std::vector<outcome> out;
  out.reserve(all->results.size());
  for (auto& r : all->results) out.push_back(std::move(*r));
  co_return out;
}

std::optional<daemon::failure> fanout_backend::failed_reads(const std::vector<outcome>& seen,
                                                            bool unknown_counts) const {
  std::vector<std::string> failed, details;
  const daemon::failure* first = nullptr;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (seen[i] || (!unknown_counts && seen[i].error().code == "routing_unknown")) continue;
    const auto& f = seen[i].error();
    if (!first) first = &f;
    failed.push_back(members_[i].name + ": " + f.message);
    if (!f.detail.empty()) details.push_back(members_[i].name + ": " + f.detail);
  }
  if (!first) return std::nullopt;
  return backend_failure(
      first->code,
      (failed.size() == 1 ? "load balancer " : "load balancers ") + joined(failed, "; "),
      joined(details, "\n"));
}

outcome fanout_backend::combined(const std::vector<outcome>& seen) const {
  if (auto failed = failed_reads(seen, true)) return *failed;
  bool agree = true;
  for (const auto& s : seen) agree = agree && s.value() == seen.front().value();
  if (agree) return seen.front();
  std::vector<std::string> each;
  for (std::size_t i = 0; i < seen.size(); ++i)
    each.push_back(members_[i].name + " routes to " + seen[i].value().describe());
  return backend_failure(std::string(kLoadBalancersDisagree),
                         "the load balancers disagree: " + joined(each, "; "));
}

asio::awaitable<outcome> fanout_backend::current(log_fn log) {
  auto all = co_await current_each(std::move(log));
  co_return std::move(all.combined);
}

asio::awaitable<readings> fanout_backend::current_each(log_fn log) {
  std::vector<std::optional<routing>> reads(members_.size());
  auto seen = co_await on_each(reads, true, log);
  readings out{combined(seen), std::move(seen)};
  co_return out;
}

asio::awaitable<void> fanout_backend::prepare_route() {
  // One after another: preparing is quick, and the members' work shares the
  // app's traffic workers anyway.
  for (const auto& m : members_) co_await m.lb->prepare_route();
}

asio::awaitable<outcome> fanout_backend::route(routing target, log_fn log) {
  const std::size_t n = members_.size();
  // 1. What each routes to now, to put it back if another refuses. One
  // that cannot be reached is not changed at all; one whose routing is
  // neither colour (a forced switch repairs that) is changed, but cannot
  // be put back.
  std::vector<std::optional<routing>> reads(n);
  auto before = co_await on_each(reads, true, log_fn{});
  if (auto failed = failed_reads(before, false)) {
    failed->message = "nothing was changed: " + failed->message;
    co_return *failed;
  }
  std::vector<std::string> details;

  // 2. All of them at once.
  std::vector<std::optional<routing>> targets(n, target);
  auto routed = co_await on_each(targets, false, log);
  std::vector<std::size_t> refused;
  for (std::size_t i = 0; i < n; ++i)
    if (!routed[i]) refused.push_back(i);
  if (refused.empty()) co_return routed.front();

  // 3. Some refused: the others go back to what each routed before.
  std::vector<std::optional<routing>> back(n);
  std::vector<std::string> notes;
  for (std::size_t i = 0; i < n; ++i) {
    if (!routed[i] && left_unchanged(routed[i].error())) continue;
    if (!before[i]) {
      notes.push_back(members_[i].name +
                      " was changed and is left so: what it routed before "
                      "could not be read (" +
                      before[i].error().message + ")");
      continue;
    }
    if (routed[i] && before[i].value() == target) continue;  // it did not change
    back[i] = before[i].value();
  }
  auto put_back = co_await on_each(back, false, log);
  for (std::size_t i = 0; i < n; ++i) {
    if (!back[i]) continue;
    std::string was = back[i]->describe();
    if (put_back[i]) {
      notes.push_back(members_[i].name + " was put back to " + was);
      if (log) log(members_[i].name + ": put back to " + was);
    } else {
      const auto& f = put_back[i].error();
      notes.push_back(members_[i].name + " could not be put back to " + was + " (" + f.message +
                      "): check it by hand");
      if (!f.detail.empty()) details.push_back(members_[i].name + ": " + f.detail);
    }
  }
  std::vector<std::string> why, refusals;
  for (std::size_t i : refused) {
    const auto& f = routed[i].error();
    why.push_back(refused.size() == 1 ? f.message : members_[i].name + ": " + f.message);
    if (!f.detail.empty()) refusals.push_back(members_[i].name + ": " + f.detail);
  }
  refusals.insert(refusals.end(), details.begin(), details.end());
  std::vector<std::string> names;
  for (std::size_t i : refused) names.push_back(members_[i].name);
  std::string message = (refused.size() == 1 ? "load balancer " : "load balancers ") +
                        joined(names, ", ") + " refused: " + joined(why, "; ");
  message += notes.empty() ? "; no other load balancer was changed" : "; " + joined(notes, "; ");
  co_return backend_failure(routed[refused.front()].error().code, message, joined(refusals, "\n"));
}

}  // namespace bluegreen::traffic
