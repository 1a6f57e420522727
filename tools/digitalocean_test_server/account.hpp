// account is the DigitalOcean API as the test server plays it: one
// account's reserved IPs, droplets and actions, answering the reserved-IP
// endpoints of API v2 with the documented status codes, JSON shapes, error
// bodies and rate-limit headers (see docs/operations.md and the API
// reference), plus the faults a test injects and the log of every request.
// It knows no sockets: the server feeds it requests and completes actions
// when their time is up.
//
// Thread-safety: none; the server uses it from its one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bluegreen::digitalocean_test_server {

struct droplet {
  std::int64_t id = 0;
  std::string name;
  std::string address;  // host:port the reserved IP forwards to when assigned
};

struct api_reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// One request as the account saw it, for tests to read.
struct logged_request {
  std::string method;
  std::string target;
  int status = 0;
  std::string body;
};

class account {
 public:
  account(std::string token, std::string reserved_ip, std::vector<droplet> droplets,
          std::optional<std::int64_t> assigned, std::chrono::milliseconds action_time,
          std::string region);

  // Answers one API request; `now` drives timestamps and rate limits.
  api_reply handle(const std::string& method, const std::string& target,
                   const std::string& authorization, const std::string& body,
                   std::chrono::system_clock::time_point now);

  // Actions created since the last call and how long each stays
  // in-progress (nullopt: for ever, a stuck action).
  std::vector<std::pair<std::int64_t, std::optional<std::chrono::milliseconds>>> take_started();
  // The action's time is up: it completes (assigning or unassigning the IP)
  // or ends errored, as planned when it was created.
  void finish(std::int64_t action_id, std::chrono::system_clock::time_point now);

  // Where the reserved IP leads now (the assigned droplet's address), and
  // that droplet's id.
  std::optional<droplet> holder() const;
  // Bumped whenever the assignment changes, so the forwarder can drop
  // connections to the droplet that lost the IP.
  std::uint64_t generation() const { return generation_; }

  // The control interface.
  nlohmann::json state() const;
  // {"fault": "...", "count": N, ...}; an error message when it is not one.
  std::optional<std::string> add_fault(const nlohmann::json& spec);
  void assign_by_hand(std::optional<std::int64_t> droplet_id);
  void set_action_time(std::chrono::milliseconds t) { action_time_ = t; }
  // Ends stuck actions: they complete now.
  void release_stuck(std::chrono::system_clock::time_point now);
  void clear_log() { log_.clear(); }

 private:
  struct action {
    std::int64_t id = 0;
    std::string status = "in-progress";
    std::string type;  // assign_ip, unassign_ip
    std::string started_at;
    std::optional<std::string> completed_at;
    std::optional<std::int64_t> droplet_id;  // the assignment it makes
    bool will_error = false;
    bool stuck = false;
    bool changes_ip = true;  // false for the foreign "pending event" lock
    int not_found_gets = 0;  // GETs still answered 404
  };
  struct fault {
    std::string kind;
    int count = 1;
    int retry_after = 1;
    std::string method;  // "", "GET" or "POST"
    bool apply = false;  // server_error on POST: the action is still created
  };

  api_reply error(int status, const std::string& id, const std::string& message);
  api_reply reserved_ip_reply() const;
  api_reply action_reply(int status, const action& a) const;
  nlohmann::json droplet_json(const droplet& d) const;
  nlohmann::json action_json(const action& a) const;
  nlohmann::json region_json() const;
  bool locked() const;
  std::optional<fault> take_fault(const std::string& method, bool is_post_action);
  api_reply post_action(const std::string& body, bool apply_only);
  action* find_action(std::int64_t id);
  std::int64_t start_action(std::string type, std::optional<std::int64_t> droplet_id,
                            bool changes_ip);

  std::string token_;
  std::string reserved_ip_;
  std::vector<droplet> droplets_;
  std::optional<std::int64_t> assigned_;
  std::chrono::milliseconds action_time_;
  std::string region_;
  std::map<std::int64_t, action> actions_;
  std::int64_t next_action_id_ = 1'700'000'001;
  std::deque<fault> faults_;
  bool next_errored_ = false;
  bool next_stuck_ = false;
  int next_not_found_ = 0;
  std::vector<std::pair<std::int64_t, std::optional<std::chrono::milliseconds>>> started_;
  std::deque<std::chrono::system_clock::time_point> recent_;  // requests of the last hour
  std::vector<logged_request> log_;
  std::uint64_t requests_ = 0;
  std::uint64_t generation_ = 0;
  std::chrono::system_clock::time_point now_{};
};

}  // namespace bluegreen::digitalocean_test_server
