// What a chat message quotes from elsewhere cannot mention everyone or
// become a link, in Slack or in Mattermost.
#include "daemon/chat_markup.hpp"

#include <gtest/gtest.h>

namespace bluegreen::daemon {
namespace {

TEST(ChatMarkup, SlacksControlCharactersBecomeEntities) {
  EXPECT_EQ(slack_escaped("<!channel> <https://evil|click> a&b"),
            "&lt;!channel&gt; &lt;https://evil|click&gt; a&amp;b");
  EXPECT_EQ(slack_escaped("plain `code` *bold* @all"), "plain `code` *bold* @all");
}

TEST(ChatMarkup, MattermostMentionsAreBroken) {
  EXPECT_EQ(mattermost_mentions_broken("@all and @channel"), "@\u200ball and @\u200bchannel");
  EXPECT_EQ(mattermost_mentions_broken("<b> no at"), "<b> no at");
}

}  // namespace
}  // namespace bluegreen::daemon
