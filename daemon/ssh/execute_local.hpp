// execute_local runs a job's command on this machine (/bin/sh -c), with the
// same contract as execute(): streamed lines, timeout, cancel (the whole
// process group is stopped), exit code or signal. Used for traffic backends
// whose load balancer is local. Blocks the calling worker thread.
#pragma once

#include "daemon/ssh/cancel.hpp"
#include "daemon/ssh/types.hpp"

namespace bluegreen::ssh {

job_result execute_local(const job& j, const cancel_flag& cancel, const line_sink& sink);

}  // namespace bluegreen::ssh
