// server is the DigitalOcean test server on one io_context: the API over
// HTTPS, the reserved IP as a TCP forwarder to the droplet that holds it
// (connections to a droplet that lost the IP are cut, as the network would),
// and the plain-HTTP control interface (GET /state, POST /faults, /assign,
// /settings, /release, /clear-log). start() prints the line that tells
// where each listens.
//
// Thread-safety: use from the io_context's one thread.
#pragma once

#include <memory>

#include "tools/digitalocean_test_server/options.hpp"

namespace boost::asio {
class io_context;
}

namespace bluegreen::digitalocean_test_server {

class server {
 public:
  server(boost::asio::io_context& io, options o);
  ~server();
  void start();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace bluegreen::digitalocean_test_server
