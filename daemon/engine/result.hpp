// result<T> carries either a value or a failure out of the engine, so that
// expected outcomes (unknown app, lock held, bad ref) are values, not
// exceptions. failure::kind tells the caller what class of problem it is;
// the API maps it to an HTTP status, chat to a reply. Value types.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace bluegreen::engine {

struct failure {
  enum class kind {
    invalid,      // the request is malformed or breaks a rule (400)
    not_found,    // no such app, operation, task (404)
    conflict,     // lock held, drift, wrong state (409)
    unsupported,  // valid request the configuration cannot do (422)
    unavailable,  // not possible yet, retry shortly: e.g. the app is recovering (503)
    internal,     // the daemon's own fault (500)
  };
  kind what = kind::internal;
  std::string code;     // stable machine-readable code, e.g. "lock_held"
  std::string message;  // for people: what happened and what to do
};

inline failure unknown_app(std::string_view app) {
  return {failure::kind::not_found, "unknown_app",
          "no app named \"" + std::string(app) + "\" in the configuration"};
}

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
  const failure& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, failure> v_;
};

}  // namespace bluegreen::engine
