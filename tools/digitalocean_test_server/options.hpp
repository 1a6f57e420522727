// options is the test server's command line as values, and the helpers
// that read it: ADDRESS:PORT endpoints and the accepted token's file. A
// command line that cannot be used ends the program with its usage.
//
// Thread-safety: plain values and functions.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/digitalocean_test_server/account.hpp"

namespace bluegreen::digitalocean_test_server {

struct options {
  std::string listen = "127.0.0.1:0";
  std::string control = "127.0.0.1:0";
  std::string certificate;
  std::string key;
  std::string token_file;
  std::string reserved_ip;
  std::string forward;  // default: reserved_ip:0
  std::vector<droplet> droplets;
  std::optional<std::int64_t> assigned;
  std::chrono::milliseconds action_time{2000};
  std::string region = "nyc3";
  // Keeps the assignment across restarts (the demo's sandbox): read at
  // start when it exists, written at every change.
  std::string state_file;
};

options parse_options(int argc, char** argv);
boost::asio::ip::tcp::endpoint endpoint_of(const std::string& text);
// The token the API accepts, read from its file (trailing newline removed).
std::string read_token(const std::string& path);

}  // namespace bluegreen::digitalocean_test_server
