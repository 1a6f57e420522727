// Runs one command of `bluegreen` against the API: the requests it makes,
// what it prints (for people, or the API's JSON with --json), and its exit
// status. Everything the environment decides (where to connect, whether to
// paint) comes in as values.
//
// Thread-safety: runs on the calling thread, with an io_context of its own.
#pragma once

#include <iosfwd>

#include "cli/arguments.hpp"
#include "cli/connection.hpp"
#include "cli/exit_status.hpp"
#include "cli/text.hpp"

namespace bluegreen::cli {

struct output {
  std::ostream& out;
  std::ostream& err;
  style paint;
};

int run_command(const invocation& inv, const connection& where, output& io);

}  // namespace bluegreen::cli
