// execute runs one job to completion over libssh2: TCP connect, handshake,
// strict host key check, authentication, the command on one channel with
// both output streams drained, and the exit status. It blocks the calling
// thread (a worker of the runner's pool), never the io_context.
//
// Thread-safety: one call owns its libssh2 session for its whole life; calls
// on different threads are independent. libssh2_init must have run (see
// library).
#pragma once

#include "daemon/ssh/cancel.hpp"
#include "daemon/ssh/types.hpp"

namespace bluegreen::ssh {

// `sink` is called on the calling thread with batches of output lines.
job_result execute(const job& j, const options& opts, const cancel_flag& cancel,
                   const line_sink& sink);

// Initialises libssh2 once for the process; keep one alive while jobs run.
class library {
 public:
  library();
  ~library();
  library(const library&) = delete;
  library& operator=(const library&) = delete;
};

}  // namespace bluegreen::ssh
