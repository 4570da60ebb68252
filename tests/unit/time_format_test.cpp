#include "core/time_format.h"

#include <gtest/gtest.h>

#include <chrono>

#include "rollout/status.h"

namespace mlmodel::core {
namespace {

using namespace std::chrono;

TEST(TimeFormatTest, ReadsWhatItWritesWithFractionsAndOffsets) {
  const WallTime base = sys_days{2026y / November / 26} + 15h + 4min + 5s;
  EXPECT_EQ(parseRfc3339(rfc3339(base)), base);
  EXPECT_EQ(parseRfc3339(rfc3339Millis(base + 250ms)), base + 250ms);
  EXPECT_EQ(parseRfc3339("2026-11-26T16:04:05.5+01:00"), base + 500ms);
  EXPECT_FALSE(parseRfc3339("2026-11-26 15:04:05Z"));
}

// Found by tests/fuzz/rollout_status_fuzz: a status time past 2262 overflowed the clock's
// nanoseconds (undefined behaviour) while the status was read.
TEST(TimeFormatTest, YearsAWallTimeCannotHoldAreRefused) {
  EXPECT_EQ(parseRfc3339("2261-12-31T23:59:59Z"),
            WallTime(sys_days{2261y / December / 31} + 23h + 59min + 59s));
  EXPECT_EQ(parseRfc3339("1678-01-01T00:00:00Z"), WallTime(sys_days{1678y / January / 1}));
  EXPECT_FALSE(parseRfc3339("4052-11-29T10:01:00Z"));
  EXPECT_FALSE(parseRfc3339("2262-12-31T00:00:00Z"));
  EXPECT_FALSE(parseRfc3339("1677-01-01T00:00:00Z"));

  const auto status = web::json::value::parse(
      R"({"stable":{"version":"1.3.0","templateHash":"77aa","since":"4052-11-29T10:01:00Z"}})");
  const auto decoded = rollout::decodeRolloutStatus(status);
  EXPECT_EQ(decoded.stable.revision.version, "1.3.0");
  EXPECT_FALSE(decoded.stable.since);
}

// Found by tests/fuzz/rollout_status_fuzz: a status time before 1970 with milliseconds was
// written as "1969-12-31T23:59:59.-750Z" (the remainder of a division toward zero), which
// does not parse, so the status did not read back as written.
TEST(TimeFormatTest, TimesBefore1970WriteAndReadBack) {
  const WallTime t = sys_days{1736y / November / 30} + 2min + 250ms;
  EXPECT_EQ(rfc3339Millis(t), "1736-11-30T00:02:00.250Z");
  EXPECT_EQ(parseRfc3339(rfc3339Millis(t)), t);
  const WallTime justBefore = WallTime{} - 750ms;
  EXPECT_EQ(rfc3339Millis(justBefore), "1969-12-31T23:59:59.250Z");
  EXPECT_EQ(rfc3339(justBefore), "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace mlmodel::core
