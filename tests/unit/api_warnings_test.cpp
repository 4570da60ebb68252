// The API server's Warning headers: what is read from them and how often it is logged.
#include "kube/api_warnings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using mlmodel::kube::parseWarnings;
using mlmodel::kube::WarningLog;
using Texts = std::vector<std::string>;

TEST(ApiWarningsTest, TheApiServersWarningIsUnquoted) {
  EXPECT_EQ(parseWarnings(R"(299 - "unknown field \"spec.template.spec.hostNetwrk\"")"),
            Texts{R"(unknown field "spec.template.spec.hostNetwrk")"});
}

TEST(ApiWarningsTest, SeveralJoinedByCommasAndOnlyCode299) {
  EXPECT_EQ(parseWarnings(R"(299 - "a, b", 199 proxy "cached" "Sat, 25 Aug 2012 23:34:45 GMT",)"
                          R"(  299 - "c" "Sat, 25 Aug 2012 23:34:45 GMT")"),
            (Texts{"a, b", "c"}));
  EXPECT_EQ(parseWarnings(""), Texts{});
  EXPECT_EQ(parseWarnings(R"(299 - "")"), Texts{}) << "an empty text says nothing";
}

TEST(ApiWarningsTest, AFaultEndsTheReadingKeepingWhatCameBefore) {
  EXPECT_EQ(parseWarnings(R"(299 - "a", nonsense)"), Texts{"a"});
  EXPECT_EQ(parseWarnings(R"(299 - unquoted)"), Texts{});
  EXPECT_EQ(parseWarnings(R"(29 - "short code")"), Texts{});
  EXPECT_EQ(parseWarnings(R"(299 - "never ends)"), Texts{});
  EXPECT_EQ(parseWarnings("299 - \"escape at the end\\"), Texts{});
  EXPECT_EQ(parseWarnings(R"(299 - "a" "date" "extra")"), Texts{});
  EXPECT_EQ(parseWarnings(R"(299)"), Texts{});
}

TEST(WarningLogTest, EachTextIsLoggedOnceUntilTheMemoryIsFull) {
  WarningLog log(2);
  EXPECT_TRUE(log.log("PATCH /a", "one"));
  EXPECT_FALSE(log.log("PATCH /b", "one")) << "the same text about another object";
  EXPECT_TRUE(log.log("PATCH /a", "two"));
  EXPECT_TRUE(log.log("PATCH /a", "three"));
  EXPECT_TRUE(log.log("PATCH /a", "three")) << "past its capacity a text is not remembered";
  EXPECT_FALSE(log.log("PATCH /a", "two"));
}
