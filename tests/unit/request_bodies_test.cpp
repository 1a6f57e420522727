#include "api/request_bodies.hpp"

#include <gtest/gtest.h>

namespace bluegreen::api {
namespace {

using nlohmann::json;

request body(std::string text) {
  request r;
  r.method = "POST";
  r.body = std::move(text);
  return r;
}

TEST(RequestBodies, AnObjectHoldsOnlyTheRoutesKeys) {
  response error;
  EXPECT_EQ(object_body(body(""), {"ref"}, error), json::object());
  EXPECT_EQ(object_body(body(R"({"ref": "main"})"), {"ref", "force"}, error)->at("ref"), "main");

  EXPECT_FALSE(object_body(body(R"({"ref": "main", "sha": "x"})"), {"ref", "force"}, error));
  EXPECT_EQ(error.status, 400);
  EXPECT_NE(error.body.find("unknown field \\\"sha\\\"; this request takes: ref, force"),
            std::string::npos)
      << error.body;
  EXPECT_FALSE(object_body(body(R"({"why": 1})"), {}, error));
  EXPECT_NE(error.body.find("no fields"), std::string::npos) << error.body;
  EXPECT_FALSE(object_body(body("[1]"), {}, error));
  EXPECT_NE(error.body.find("must be a JSON object"), std::string::npos) << error.body;
  EXPECT_FALSE(object_body(body("{\"ref\": "), {"ref"}, error));
  EXPECT_NE(error.body.find("invalid_json"), std::string::npos) << error.body;
}

TEST(RequestBodies, FieldsAreTyped) {
  response error;
  EXPECT_EQ(optional_bool(json::object(), "force", error), false);
  EXPECT_EQ(optional_bool(json{{"force", true}}, "force", error), true);
  EXPECT_FALSE(optional_bool(json{{"force", "yes"}}, "force", error));
  EXPECT_NE(error.body.find("true or false"), std::string::npos) << error.body;

  auto absent = optional_colour(json::object(), "to", error);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
  EXPECT_EQ(optional_colour(json{{"to", "green"}}, "to", error), daemon::colour::green);
  EXPECT_FALSE(optional_colour(json{{"to", "red"}}, "to", error));
  EXPECT_NE(error.body.find("\\\"blue\\\" or \\\"green\\\""), std::string::npos) << error.body;
}

TEST(RequestBodies, OneWeightGivesTheRestToTheOtherColour) {
  response error;
  EXPECT_EQ(parse_weights(json{{"green", 10}}, error)->encode(), "blue:90,green:10");
  EXPECT_EQ(parse_weights(json{{"blue", 30}, {"green", 70}}, error)->encode(), "blue:30,green:70");
  EXPECT_EQ(parse_weights(json{{"green", 100}}, error)->encode(), "green:100");
  for (const json& bad : {json{{"blue", 30}, {"green", 30}}, json{{"red", 10}},
                          json{{"green", 101}}, json{{"green", 1.5}}, json::object(), json(10)}) {
    EXPECT_FALSE(parse_weights(bad, error)) << bad.dump();
    EXPECT_NE(error.body.find("invalid_weights"), std::string::npos) << error.body;
  }
}

}  // namespace
}  // namespace bluegreen::api
