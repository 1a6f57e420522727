#include "daemon/notify/notifier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <ctime>
#include <deque>

#include "daemon/engine/engine.hpp"
#include "daemon/net/url.hpp"
#include "daemon/notify/delivery_policy.hpp"
#include "daemon/notify/event_notification.hpp"
#include "daemon/notify/message_format.hpp"
#include "daemon/secrets.hpp"
#include "daemon/utc_time.hpp"
#include "storage/alert_repository.hpp"

namespace bluegreen::notify {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view kAlertKind = "not_deployed";

// Where local time is now, as an offset from UTC.
std::chrono::seconds local_offset(time_point now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm local{};
  localtime_r(&t, &local);
  return std::chrono::seconds(local.tm_gmtoff);
}

bool takes(const daemon::notify_target& t, const notification& n) {
  auto listed = [](const std::vector<std::string>& list, const std::string& value) {
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end() ||
           std::find(list.begin(), list.end(), "*") != list.end();
  };
  return listed(t.events, n.event) && listed(t.apps, n.app);
}

// A task's end by cancellation (a stop's grace ran out) is no failure.
asio::awaitable<void> quietly(asio::awaitable<void> work) {
  try {
    co_await std::move(work);
  } catch (const boost::system::system_error& e) {
    if (e.code() != asio::error::operation_aborted) throw;
  }
}

}  // namespace

struct notifier::target {
  explicit target(asio::io_context& io) : wake(io), retry(io) {}
  daemon::notify_target settings;
  std::string url;                    // read from settings.url
  std::optional<std::string> secret;  // read from settings.secret
  std::deque<notification> queue;
  asio::steady_timer wake;   // an idle worker sleeps on it
  asio::steady_timer retry;  // between attempts
  bool removed = false;      // no longer configured: its worker ends
};

notifier::notifier(asio::io_context& io, engine::engine& core, storage::database& db)
    : io_(io), core_(core), db_(db), stop_wait_(io), alert_timer_(io), grace_(io), tasks_(io) {}

notifier::~notifier() { *alive_ = false; }

void notifier::spawn(std::string name, asio::awaitable<void> work) {
  ++active_;
  auto counted = [](notifier* self, std::shared_ptr<bool> alive,
                    asio::awaitable<void> inner) -> asio::awaitable<void> {
    struct leave {
      notifier* self;
      std::shared_ptr<bool> alive;
      ~leave() {
        if (!*alive) return;
        if (--self->active_ == 0 && self->stopping_) self->grace_.cancel();
      }
    } on_end{self, alive};
    co_await quietly(std::move(inner));
  };
  if (!tasks_.spawn(std::move(name), counted(this, alive_, std::move(work)))) --active_;
}

void notifier::start(std::shared_ptr<const daemon::config> cfg) {
  cfg_ = std::move(cfg);
  outbound_ = std::make_shared<const net::address_policy>(cfg_->outbound.allow);
  cursor_ = core_.event_stream().newest();
  load_targets(*cfg_);
  started_ = true;
  // Alerts due now go first, before anything the stream brings.
  queue_due_alerts();
  spawn("the notifications' event reader", read_events());
  spawn("the not-deployed alerts", watch_deploy_age());
}

void notifier::reload(std::shared_ptr<const daemon::config> cfg) {
  if (!started_ || stopping_) return;
  cfg_ = std::move(cfg);
  outbound_ = std::make_shared<const net::address_policy>(cfg_->outbound.allow);
  load_targets(*cfg_);
  alert_timer_.cancel();  // the times of day and thresholds may have changed
}

void notifier::load_targets(const daemon::config& cfg) {
  std::map<std::string, std::shared_ptr<target>, std::less<>> next;
  for (const auto& settings : cfg.notify.targets) {
    auto url = daemon::read_secret(settings.url);
    if (!url) {
      spdlog::error(
          "notification target {}: {}; it gets no notifications until its url can be read "
          "(fix it, then reload)",
          settings.name, url.error().message);
      continue;
    }
    std::string text = *url;
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '\n'))
      text.pop_back();
    if (!net::parse_url(text)) {
      spdlog::error(
          "notification target {}: its url cannot be used: {}; it gets no notifications until "
          "it can (fix it, then reload)",
          settings.name, net::url_problem(text));
      continue;
    }
    std::optional<std::string> secret;
    if (settings.secret) {
      auto value = daemon::read_secret(*settings.secret);
      if (!value || value->empty()) {
        spdlog::error(
            "notification target {}: {}; it gets no notifications until its secret can be read, "
            "as they could not be signed (fix it, then reload)",
            settings.name, value ? std::string("the secret is empty") : value.error().message);
        continue;
      }
      secret = std::move(*value);
    }
    std::shared_ptr<target> t;
    if (auto kept = targets_.find(settings.name); kept != targets_.end()) {
      t = kept->second;
    } else {
      t = std::make_shared<target>(io_);
    }
    t->settings = settings;
    t->url = std::move(text);
    t->secret = std::move(secret);
    bool fresh = !targets_.count(settings.name);
    next[settings.name] = t;
    if (fresh) spawn("notification target " + settings.name, work(t));
  }
  for (auto& [name, t] : targets_) {
    if (next.count(name)) continue;
    if (!t->queue.empty())
      spdlog::warn(
          "notification target {} was removed: {} notification(s) it was still to get "
          "are dropped",
          name, t->queue.size());
    dropped_ += t->queue.size();
    t->queue.clear();
    t->removed = true;
    t->wake.cancel();
    t->retry.cancel();
  }
  targets_ = std::move(next);
}

void notifier::enqueue(const notification& n) {
  for (auto& [name, t] : targets_) {
    if (!takes(t->settings, n)) continue;
    if (t->queue.size() >= kQueueLimit) {
      const notification& oldest = t->queue.front();
      spdlog::warn(
          "notification target {}: {} notifications are waiting; dropped the oldest, {} "
          "of {} ({})",
          name, t->queue.size(), oldest.event, oldest.app, oldest.id);
      t->queue.pop_front();
      ++dropped_;
    }
    t->queue.push_back(n);
    t->wake.cancel();
  }
}

void notifier::handle(const storage::event_record& event) {
  // One odd event must not end the reader, which would end every
  // notification after it.
  try {
    if (auto n = notification_for(event, cfg_->server.public_url)) enqueue(*n);
    // A deploy moves when its app can next be "not deployed for N days".
    if (changes_deploy_time(event)) alert_timer_.cancel();
  } catch (const std::exception& e) {
    spdlog::error("notifications: cannot read event {} ({}): {}", event.id, event.type, e.what());
  }
}

std::optional<time_point> notifier::queue_due_alerts() {
  if (targets_.empty()) return std::nullopt;
  auto cfg = cfg_;
  auto now = std::chrono::system_clock::now();
  daily_slot slot{cfg->notify.not_deployed_at, local_offset(now)};
  std::optional<time_point> next;
  try {
    storage::alert_repository alerts(db_);
    for (const auto& app : cfg->apps) {
      if (!app.notify.not_deployed_for) continue;
      auto view = core_.app(app.name);
      if (!view) continue;
      auto newest = newest_deploy(view->state);
      not_deployed_facts facts;
      if (newest) facts.newest_deploy = daemon::parse_utc_text(newest->deployed_at.value_or(""));
      facts.threshold = *app.notify.not_deployed_for;
      if (auto last = alerts.last_sent(app.name, kAlertKind))
        facts.last_sent = daemon::parse_utc_text(*last);
      if (newest && not_deployed_due(facts, now, slot)) {
        auto at = latest_slot(now, slot.at, slot.utc_offset);
        // Recorded first: an alert is sent at most once a day, even if the
        // daemon stops before it is delivered. The slot, not now: a slot
        // caught up late must not push the next day's slot aside.
        alerts.set_sent(app.name, kAlertKind, daemon::utc_text(at));
        facts.last_sent = at;
        enqueue(not_deployed_notification(app.name, *newest, facts.threshold, now, at,
                                          cfg->server.public_url));
      }
      if (auto when = not_deployed_next(facts, now, slot); when && (!next || *when < *next))
        next = when;
    }
  } catch (const std::exception& e) {
    spdlog::error("cannot look at when apps were last deployed: {}", e.what());
  }
  return next;
}

asio::awaitable<void> notifier::read_events() {
  auto& hub = core_.event_stream();
  while (true) {
    auto page = hub.read(cursor_, 200, std::nullopt);
    for (const auto& e : page.events) handle(e);
    cursor_ = page.cursor;
    if (!page.events.empty()) continue;
    if (stopping_) co_return;
    if (hub.stopping()) {
      // The stream stopped waking readers: what operations still store
      // until the daemon is idle is read once stop() is called.
      stop_wait_.expires_at(asio::steady_timer::time_point::max());
      co_await stop_wait_.async_wait(asio::as_tuple(asio::use_awaitable));
    } else {
      std::int64_t after = cursor_;
      milliseconds longest = std::chrono::minutes(1);
      co_await hub.wait(after, longest);
    }
  }
}

asio::awaitable<void> notifier::watch_deploy_age() {
  while (!stopping_) {
    auto next = queue_due_alerts();
    auto now = std::chrono::system_clock::now();
    milliseconds wait = kLongestSleep;
    if (next) {
      auto until = std::chrono::duration_cast<milliseconds>(*next - now);
      // Never a busy loop, should an alert stay due (a failing database).
      wait = std::clamp<milliseconds>(
          until, until.count() > 0 ? milliseconds(0) : milliseconds(1000), kLongestSleep);
    }
    alert_timer_.expires_after(wait);
    co_await alert_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> notifier::work(std::shared_ptr<target> t) {
  while (true) {
    if (t->queue.empty()) {
      if (stopping_ || t->removed) co_return;
      t->wake.expires_at(asio::steady_timer::time_point::max());
      co_await t->wake.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    notification n = std::move(t->queue.front());
    t->queue.pop_front();
    std::string what = n.event + " of " + n.app + " (" + n.id + ")";
    try {
      co_await deliver(t, std::move(n));
    } catch (const std::exception& e) {
      // A stop's cancellation ends the worker; anything else ends only this
      // notification, and the next one is still delivered.
      auto* system = dynamic_cast<const boost::system::system_error*>(&e);
      if (system && system->code() == asio::error::operation_aborted) throw;
      ++failed_;
      spdlog::error("notification target {}: could not send {}: {}", t->settings.name, what,
                    e.what());
    }
  }
}

asio::awaitable<void> notifier::deliver(std::shared_ptr<target> t, notification n) {
  const std::string& name = t->settings.name;
  std::string body = body_for(t->settings.kind, n);
  auto first = std::chrono::steady_clock::now();
  for (int attempt = 1;; ++attempt) {
    net::http_request request;
    request.method = "POST";
    request.url = t->url;
    request.headers.push_back({"Content-Type", "application/json"});
    if (t->settings.kind == daemon::notify_target::kind::webhook) {
      request.headers.push_back({std::string(kEventHeader), n.event});
      if (t->secret)
        request.headers.push_back({std::string(kSignatureHeader), signature_of(*t->secret, body)});
    }
    request.body = body;
    net::request_options options;
    options.connect_timeout = std::chrono::seconds(5);
    options.total_timeout = std::chrono::seconds(10);
    options.max_body_bytes = 64 * 1024;
    options.max_redirects = 0;
    options.outbound = outbound_;
    auto result = co_await client_.send(request, options);
    if (t->removed) co_return;  // counted as dropped when it was removed

    attempt_outcome outcome;
    if (result) {
      outcome.status = result.response().status;
      outcome.retry_after = result.response().header("Retry-After");
      outcome.body = result.response().body;
    } else {
      outcome.error =
          std::string(net::to_string(result.error().kind)) + ": " + result.error().message;
      auto kind = result.error().kind;
      // Only what may answer next time is tried again; any other kind (a
      // URL the outbound policy refuses, say) would fail the same way.
      outcome.transient = kind == net::error_kind::dns || kind == net::error_kind::connect ||
                          kind == net::error_kind::timeout || kind == net::error_kind::io ||
                          kind == net::error_kind::tls;
    }
    auto elapsed =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - first);
    verdict v = judge(outcome, attempt, elapsed);
    if (v.what == verdict::action::delivered) {
      ++sent_;
      spdlog::debug("notification target {}: sent {} of {} ({})", name, n.event, n.app, n.id);
      co_return;
    }
    if (v.what == verdict::action::retry && stopping_) {
      v.what = verdict::action::give_up;
      v.why += "; the daemon is stopping";
    }
    if (v.what == verdict::action::give_up) {
      ++failed_;
      spdlog::error("notification target {}: gave up on {} of {} ({}) after {} attempt(s): {}",
                    name, n.event, n.app, n.id, attempt, v.why);
      co_return;
    }
    spdlog::warn("notification target {}: {} of {} ({}) not delivered ({}); trying again in {}",
                 name, n.event, n.app, n.id, v.why, human_duration(v.wait));
    t->retry.expires_after(v.wait);
    co_await t->retry.async_wait(asio::as_tuple(asio::use_awaitable));
    if (t->removed) co_return;
    if (stopping_) {
      ++failed_;
      spdlog::error(
          "notification target {}: gave up on {} of {} ({}) after {} attempt(s): {}; "
          "the daemon is stopping",
          name, n.event, n.app, n.id, attempt, v.why);
      co_return;
    }
  }
}

void notifier::stop() {
  if (stopping_) return;
  stopping_ = true;
  if (!started_) return;
  stop_wait_.cancel();
  alert_timer_.cancel();
  for (auto& [name, t] : targets_) {
    t->wake.cancel();
    t->retry.cancel();
  }
  if (active_ == 0) return;
  grace_.expires_after(kStopGrace);
  grace_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    std::size_t left = 0;
    for (auto& [name, t] : targets_) left += t->queue.size();
    if (left > 0)
      spdlog::warn("stopping: {} notification(s) not delivered within {}s are dropped", left,
                   kStopGrace.count());
    tasks_.stop();
  });
}

}  // namespace bluegreen::notify
