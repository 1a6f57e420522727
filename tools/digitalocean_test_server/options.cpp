#include "tools/digitalocean_test_server/options.hpp"

#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

namespace bluegreen::digitalocean_test_server {

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "digitalocean-test-server: " << why << "\n"
            << "usage: digitalocean-test-server --certificate PEM --key PEM --token-file FILE\n"
               "         --reserved-ip IP [--forward ADDR:PORT] --droplet ID=HOST:PORT[=NAME]...\n"
               "         [--assigned ID] [--action-time MS] [--listen ADDR:PORT]\n"
               "         [--control ADDR:PORT] [--region SLUG] [--state-file FILE]\n";
  std::exit(2);
}

}  // namespace

boost::asio::ip::tcp::endpoint endpoint_of(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) usage("\"" + text + "\" is not ADDRESS:PORT");
  return {boost::asio::ip::make_address(text.substr(0, colon)),
          static_cast<unsigned short>(std::stoi(text.substr(colon + 1)))};
}

options parse_options(int argc, char** argv) {
  options o;
  auto droplet_of = [](const std::string& v) {
    auto eq = v.find('=');
    if (eq == std::string::npos) usage("--droplet takes ID=HOST:PORT[=NAME]");
    droplet d;
    d.id = std::stoll(v.substr(0, eq));
    std::string rest = v.substr(eq + 1);
    auto eq2 = rest.find('=');
    d.address = rest.substr(0, eq2);
    d.name = eq2 == std::string::npos ? "droplet-" + std::to_string(d.id) : rest.substr(eq2 + 1);
    return d;
  };
  using setter = std::function<void(const std::string&)>;
  const std::map<std::string, setter> setters = {
      {"--listen", [&](const std::string& v) { o.listen = v; }},
      {"--control", [&](const std::string& v) { o.control = v; }},
      {"--certificate", [&](const std::string& v) { o.certificate = v; }},
      {"--key", [&](const std::string& v) { o.key = v; }},
      {"--token-file", [&](const std::string& v) { o.token_file = v; }},
      {"--reserved-ip", [&](const std::string& v) { o.reserved_ip = v; }},
      {"--forward", [&](const std::string& v) { o.forward = v; }},
      {"--assigned", [&](const std::string& v) { o.assigned = std::stoll(v); }},
      {"--action-time",
       [&](const std::string& v) { o.action_time = std::chrono::milliseconds(std::stoll(v)); }},
      {"--region", [&](const std::string& v) { o.region = v; }},
      {"--state-file", [&](const std::string& v) { o.state_file = v; }},
      {"--droplet", [&](const std::string& v) { o.droplets.push_back(droplet_of(v)); }},
  };
  for (int i = 1; i < argc; ++i) {
    auto it = setters.find(argv[i]);
    if (it == setters.end()) usage(std::string("unknown argument ") + argv[i]);
    if (i + 1 >= argc) usage(it->first + " needs a value");
    it->second(argv[++i]);
  }
  if (o.certificate.empty() || o.key.empty() || o.token_file.empty() || o.reserved_ip.empty() ||
      o.droplets.empty())
    usage("--certificate, --key, --token-file, --reserved-ip and --droplet are required");
  if (o.forward.empty()) o.forward = o.reserved_ip + ":0";
  if (!o.state_file.empty()) {
    std::ifstream in(o.state_file);
    std::string held;
    if (in >> held) o.assigned = held == "none" ? std::nullopt : std::optional(std::stoll(held));
  }
  return o;
}

std::string read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) usage("cannot read the token file " + path);
  std::stringstream s;
  s << in.rdbuf();
  std::string t = s.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

}  // namespace bluegreen::digitalocean_test_server
