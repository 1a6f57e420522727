// Fuzzes the JSON bodies of the mutating routes, read the way each route's
// handler reads them (api/application.cpp). Input: the first byte picks the
// route, the rest is the body. A refused body always carries a 400 with a
// JSON error; accepted weights always add up to 100.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "api/request_bodies.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace bluegreen::api;

void check_error(const response& error) {
  FUZZ_CHECK(error.status == 400);
  auto body = nlohmann::json::parse(error.body, nullptr, false);
  FUZZ_CHECK(body.is_object() && body.contains("error"));
}

void check_weights(const bluegreen::traffic::routing& r) {
  int total = 0;
  for (const auto& [c, w] : r.weights) {
    FUZZ_CHECK(w > 0 && w <= 100);
    total += w;
  }
  FUZZ_CHECK(total == 100);
  FUZZ_CHECK(bluegreen::traffic::routing::decode(r.encode()) == r);
}

void deploy(const request& req) {
  response error;
  auto body = object_body(req, {"ref", "force"}, error);
  if (!body) return check_error(error);
  auto force = optional_bool(*body, "force", error);
  if (!force) return check_error(error);
}

void switch_traffic(const request& req) {
  response error;
  auto body = object_body(req, {"to", "weights", "force"}, error);
  if (!body) return check_error(error);
  auto to = optional_colour(*body, "to", error);
  if (!to) return check_error(error);
  if (auto w = body->find("weights"); w != body->end()) {
    auto weights = parse_weights(*w, error);
    if (!weights) return check_error(error);
    check_weights(*weights);
  }
  auto force = optional_bool(*body, "force", error);
  if (!force) return check_error(error);
}

void lock(const request& req) {
  response error;
  auto body = object_body(req, {"reason"}, error);
  if (!body) return check_error(error);
}

void task(const request& req) {
  response error;
  auto body = object_body(req, {"colour"}, error);
  if (!body) return check_error(error);
  auto on = optional_colour(*body, "colour", error);
  if (!on) return check_error(error);
}

// Rollback and cancel take an empty object.
void no_fields(const request& req) {
  response error;
  auto body = object_body(req, {}, error);
  if (!body) return check_error(error);
  FUZZ_CHECK(body->empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  request req;
  req.method = "POST";
  req.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      deploy(req);
      break;
    case 1:
      switch_traffic(req);
      break;
    case 2:
      lock(req);
      break;
    case 3:
      task(req);
      break;
    default:
      no_fields(req);
      break;
  }
  return 0;
}
