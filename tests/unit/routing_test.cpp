#include "daemon/traffic/routing.hpp"

#include <gtest/gtest.h>

namespace bluegreen::traffic {
namespace {

// What a switch script prints is read back as weights: a share above 100 or
// a colour named twice is not a routing, even when the numbers add up.
TEST(Routing, RefusesOutOfRangeSharesAndRepeatedColours) {
  for (const char* text :
       {"green:50,green:50", "blue:100,blue:0", "blue:200,green:0", "green:4294967306",
        "green:010,blue:90x", "green:", "purple:100", "", "blue:60,green:60"})
    EXPECT_FALSE(routing::decode(text)) << text;
}

}  // namespace
}  // namespace bluegreen::traffic
