// result<T> carries either a value or a failure across the daemon's library
// boundaries (engine, traffic backends, checks, SSH jobs, secrets), so that
// expected outcomes (unknown app, lock held, a load balancer that does not
// answer) are values, not exceptions or empty optionals.
//
// A failure has three audiences: `what` tells the caller the class of
// problem (the API maps it to an HTTP status, chat to a reply), `code` is a
// stable machine-readable word stored with failed operations, `message` is
// for people and safe to send to any client, and `detail` (a command's
// stderr, a library's error text) goes only to the daemon's log and the
// operation's log. Value types.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace bluegreen::daemon {

struct failure {
  enum class kind {
    invalid,      // the request is malformed or breaks a rule (400)
    not_found,    // no such app, operation, task (404)
    conflict,     // lock held, drift, wrong state (409)
    unsupported,  // valid request the configuration cannot do (422)
    unavailable,  // not possible yet, retry shortly: e.g. the app is recovering (503)
    internal,     // the daemon's own fault, or a system it depends on failed (500)
  };
  failure() = default;
  failure(kind what_, std::string code_, std::string message_, std::string detail_ = {})
      : what(what_),
        code(std::move(code_)),
        message(std::move(message_)),
        detail(std::move(detail_)) {}

  kind what = kind::internal;
  std::string code;     // stable machine-readable code, e.g. "lock_held"
  std::string message;  // for people: what happened and what to do
  std::string detail;   // for the logs only, never for clients
};

template <typename T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}
  result(failure f) : v_(std::move(f)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const failure& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, failure> v_;
};

// Success without a value, or a failure.
template <>
class result<void> {
 public:
  result() = default;
  result(failure f) : error_(std::move(f)), failed_(true) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const failure& error() const { return error_; }

 private:
  failure error_;
  bool failed_ = false;
};

}  // namespace bluegreen::daemon
