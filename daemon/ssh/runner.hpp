// runner runs SSH jobs on a fixed pool of worker threads, so that blocking
// libssh2 calls never touch the io_context. Output lines and results are
// posted back to the io_context, lines of a job always before its result.
// Coroutines on the io_context use `co_await run(...)` and
// `co_await run_on_all(...)`.
//
// Thread-safety: call run, run_on_all, set_options and cancel_all from the
// io_context's thread. The destructor cancels running jobs and joins the
// workers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "daemon/ssh/cancel.hpp"
#include "daemon/ssh/types.hpp"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace bluegreen::ssh {

class library;

class runner {
 public:
  // `workers` threads run deploy steps and tasks; `traffic_workers` more
  // run only traffic changes (jobs of lane::traffic, and offload()).
  runner(boost::asio::io_context& io, options opts, unsigned workers, unsigned traffic_workers = 4);
  ~runner();
  runner(const runner&) = delete;
  runner& operator=(const runner&) = delete;

  // Runs `j` (over SSH, or on this machine when j.to.is_local()); `sink`
  // (may be empty) gets its output on the io_context.
  // Cancelling `cancel` stops the job promptly with error_kind::cancelled.
  boost::asio::awaitable<job_result> run(job j, line_sink sink, cancel_handle cancel = nullptr);

  // Runs every job at once (bounded by the pool); one result per job, in
  // order.
  boost::asio::awaitable<std::vector<job_result>> run_all(std::vector<job> jobs, line_sink sink,
                                                          cancel_handle cancel = nullptr);

  // Runs `templ` on every host at once (bounded by the pool); one result per
  // host, in the order of `hosts`.
  boost::asio::awaitable<std::vector<job_result>> run_on_all(std::vector<destination> hosts,
                                                             job templ, line_sink sink,
                                                             cancel_handle cancel = nullptr);

  // Runs `work` on a traffic worker thread and resumes on the io_context
  // when it is done: for short blocking work of a traffic change that is not
  // a job (a local file read or write). `work` must not touch io_context
  // state.
  boost::asio::awaitable<void> offload(std::function<void()> work);

  // New connection options for jobs started from now on (config reload).
  void set_options(options opts);
  // Cancels every running job (graceful stop past its deadline).
  void cancel_all();
  unsigned workers() const { return workers_; }

  // SSH connections tried (jobs for another host) and those that failed
  // before a command could run, by why (connect_failed, auth_failed,
  // host_key_unknown, host_key_changed), for /metrics. Counted on the
  // io_context as each job's result arrives; read there too.
  struct connection_counts {
    std::uint64_t attempts = 0;
    std::map<error_kind, std::uint64_t> failures;
  };
  const connection_counts& connections() const { return connections_; }

 private:
  void start(job j, line_sink sink, cancel_handle cancel, std::function<void(job_result)> done);
  void count_connection(error_kind error);

  boost::asio::io_context& io_;
  std::unique_ptr<library> library_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::unique_ptr<boost::asio::thread_pool> traffic_pool_;
  unsigned workers_;
  std::mutex mutex_;  // guards options_ and running_
  options options_;
  // Flags of running jobs (a flag shared by run_on_all appears once per job).
  std::multiset<std::shared_ptr<cancel_flag>> running_;
  connection_counts connections_;  // io_context only
};

}  // namespace bluegreen::ssh
