#include "core/cancel.h"

#include <gtest/gtest.h>

namespace mlmodel {
namespace {

TEST(CancelToken, RunsWhatIsRegisteredOnceAndNothingAfterItsRegistrationWent) {
  core::CancelToken token;
  int kept = 0;
  int dropped = 0;
  auto keep = token.onCancel([&] { ++kept; });
  {
    auto gone = token.onCancel([&] { ++dropped; });
  }
  EXPECT_FALSE(token.cancelled());
  token.cancel();
  token.cancel();
  EXPECT_TRUE(token.cancelled());
  EXPECT_EQ(kept, 1);
  EXPECT_EQ(dropped, 0);
  // Registered after the cancel: runs at once.
  int late = 0;
  auto r = token.onCancel([&] { ++late; });
  EXPECT_EQ(late, 1);
}

}  // namespace
}  // namespace mlmodel
