// digitalocean-test-server: the DigitalOcean reserved-IP API on loopback,
// for bluegreend's tests, bench and demo. Three listeners on one thread:
//   - the API over HTTPS (a certificate the caller provides and trusts);
//   - the "reserved IP": a loopback address:port whose TCP connections are
//     forwarded to whichever droplet holds the IP, so a request through
//     public_url sees a switch as a user would;
//   - a plain-HTTP control interface for tests: GET /state, POST /faults,
//     POST /assign, POST /settings, POST /release, POST /clear-log.
// Prints one line to stdout once listening:
//   digitalocean-test-server: api https://A:P control http://A:C reserved_ip IP forward A:F
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>

#include "tools/digitalocean_test_server/server.hpp"

namespace asio = boost::asio;
using bluegreen::digitalocean_test_server::options;
using bluegreen::digitalocean_test_server::parse_options;
using bluegreen::digitalocean_test_server::server;

int main(int argc, char** argv) {
  try {
    options o = parse_options(argc, argv);
    asio::io_context io;
    server s(io, std::move(o));
    s.start();
    asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "digitalocean-test-server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
