#include "tools/digitalocean_test_server/options.hpp"

#include <fstream>
#include <iostream>
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
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--listen")
      o.listen = value();
    else if (a == "--control")
      o.control = value();
    else if (a == "--certificate")
      o.certificate = value();
    else if (a == "--key")
      o.key = value();
    else if (a == "--token-file")
      o.token_file = value();
    else if (a == "--reserved-ip")
      o.reserved_ip = value();
    else if (a == "--forward")
      o.forward = value();
    else if (a == "--assigned")
      o.assigned = std::stoll(value());
    else if (a == "--action-time")
      o.action_time = std::chrono::milliseconds(std::stoll(value()));
    else if (a == "--region")
      o.region = value();
    else if (a == "--state-file")
      o.state_file = value();
    else if (a == "--droplet") {
      std::string v = value();
      auto eq = v.find('=');
      if (eq == std::string::npos) usage("--droplet takes ID=HOST:PORT[=NAME]");
      droplet d;
      d.id = std::stoll(v.substr(0, eq));
      std::string rest = v.substr(eq + 1);
      auto eq2 = rest.find('=');
      d.address = rest.substr(0, eq2);
      d.name = eq2 == std::string::npos ? "droplet-" + std::to_string(d.id) : rest.substr(eq2 + 1);
      o.droplets.push_back(d);
    } else
      usage("unknown argument " + a);
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
