#include "daemon/ssh/runner.hpp"

#include <algorithm>
#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/ssh/execute.hpp"
#include "daemon/ssh/execute_local.hpp"

namespace bluegreen::ssh {

namespace asio = boost::asio;

runner::runner(asio::io_context& io, options opts, unsigned workers, unsigned traffic_workers)
    : io_(io),
      library_(std::make_unique<library>()),
      pool_(std::make_unique<asio::thread_pool>(workers)),
      traffic_pool_(std::make_unique<asio::thread_pool>(std::max(1u, traffic_workers))),
      workers_(workers),
      options_(std::move(opts)) {}

runner::~runner() {
  cancel_all();
  pool_->join();
  traffic_pool_->join();
}

void runner::set_options(options opts) {
  std::lock_guard lock(mutex_);
  options_ = std::move(opts);
}

void runner::cancel_all() {
  std::lock_guard lock(mutex_);
  for (const auto& c : running_) c->cancel();
}

asio::awaitable<void> runner::offload(std::function<void()> work) {
  // use_awaitable rethrows an exception thrown by `work` here.
  co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr)>(
      [this, &work](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto guard = asio::make_work_guard(io_);
        asio::post(*traffic_pool_,
                   [this, work = std::move(work), shared, guard = std::move(guard)] {
                     std::exception_ptr thrown;
                     try {
                       work();
                     } catch (...) {
                       thrown = std::current_exception();
                     }
                     asio::post(io_, [shared, thrown] { std::move (*shared)(thrown); });
                   });
      },
      asio::use_awaitable);
}

void runner::start(job j, line_sink sink, cancel_handle cancel,
                   std::function<void(job_result)> done) {
  if (!cancel) cancel = make_cancel_handle();
  options opts;
  {
    std::lock_guard lock(mutex_);
    opts = options_;
    running_.insert(cancel);
  }
  auto work = asio::make_work_guard(io_);
  auto& pool = j.lane == lane::traffic ? *traffic_pool_ : *pool_;
  asio::post(pool, [this, j = std::move(j), opts = std::move(opts), cancel, sink = std::move(sink),
                    done = std::move(done), work = std::move(work)]() mutable {
    line_sink to_io;
    if (sink) {
      to_io = [this, sink](std::vector<output_line>&& lines) {
        asio::post(io_, [sink, lines = std::move(lines)]() mutable { sink(std::move(lines)); });
      };
    }
    job_result result;
    if (j.to.is_local() && j.connect_only) {
      result.host = j.to;
      result.exit_code = 0;  // nothing to connect to on this machine
    } else {
      result =
          j.to.is_local() ? execute_local(j, *cancel, to_io) : execute(j, opts, *cancel, to_io);
    }
    bool over_ssh = !j.to.is_local();
    asio::post(io_, [this, cancel, over_ssh, done = std::move(done),
                     result = std::move(result)]() mutable {
      {
        std::lock_guard lock(mutex_);
        running_.erase(running_.find(cancel));
      }
      if (over_ssh) count_connection(result.error);
      done(std::move(result));
    });
  });
}

void runner::count_connection(error_kind error) {
  ++connections_.attempts;
  switch (error) {
    case error_kind::connect_failed:
    case error_kind::auth_failed:
    case error_kind::host_key_unknown:
    case error_kind::host_key_changed:
      ++connections_.failures[error];
      break;
    default:  // connected; what the command did is another matter
      break;
  }
}

asio::awaitable<job_result> runner::run(job j, line_sink sink, cancel_handle cancel) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(job_result)>(
      [this, &j, &sink, &cancel](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start(std::move(j), std::move(sink), std::move(cancel),
              [shared](job_result r) { std::move (*shared)(std::move(r)); });
      },
      asio::use_awaitable);
}

asio::awaitable<std::vector<job_result>> runner::run_on_all(std::vector<destination> hosts,
                                                            job templ, line_sink sink,
                                                            cancel_handle cancel) {
  std::vector<job> jobs;
  for (auto& h : hosts) {
    job j = templ;
    j.to = std::move(h);
    jobs.push_back(std::move(j));
  }
  co_return co_await run_all(jobs, sink, cancel);
}

asio::awaitable<std::vector<job_result>> runner::run_all(std::vector<job> jobs, line_sink sink,
                                                         cancel_handle cancel) {
  if (!cancel) cancel = make_cancel_handle();
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                          void(std::vector<job_result>)>(
      [this, &jobs, &sink, &cancel](auto handler) {
        using handler_type = decltype(handler);
        struct gather {
          std::vector<job_result> results;
          size_t left;
          handler_type handler;
        };
        auto state = std::make_shared<gather>(
            gather{std::vector<job_result>(jobs.size()), jobs.size(), std::move(handler)});
        if (jobs.empty()) {
          asio::post(io_, [state] { std::move(state->handler)(std::vector<job_result>{}); });
          return;
        }
        for (size_t i = 0; i < jobs.size(); ++i) {
          // The jobs share one cancel flag: cancelling it stops them all.
          start(std::move(jobs[i]), sink, cancel, [state, i](job_result r) {
            state->results[i] = std::move(r);
            if (--state->left == 0) std::move(state->handler)(std::move(state->results));
          });
        }
      },
      asio::use_awaitable);
}

}  // namespace bluegreen::ssh
