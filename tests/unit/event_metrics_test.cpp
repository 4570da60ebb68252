// The event recorder's queue as Prometheus families, read at scrape time.
#include "server/event_metrics.h"

#include <gtest/gtest.h>

namespace mlmodel {
namespace {

TEST(EventMetrics, QueuedAndDroppedAreReadWhenScraped) {
  std::uint64_t queued = 3, dropped = 0;
  server::EventMetrics m([&] { return queued; }, [&] { return dropped; });
  auto f = m.Collect();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].name, "mlmodel_operator_events_queued");
  EXPECT_EQ(f[0].type, prometheus::MetricType::Gauge);
  ASSERT_EQ(f[0].metric.size(), 1u);
  EXPECT_EQ(f[0].metric[0].gauge.value, 3);
  EXPECT_EQ(f[1].name, "mlmodel_operator_events_dropped_total");
  EXPECT_EQ(f[1].type, prometheus::MetricType::Counter);
  ASSERT_EQ(f[1].metric.size(), 1u);
  EXPECT_EQ(f[1].metric[0].counter.value, 0);

  queued = 0;
  dropped = 7;
  f = m.Collect();
  ASSERT_EQ(f.size(), 2u);
  ASSERT_EQ(f[0].metric.size(), 1u);
  ASSERT_EQ(f[1].metric.size(), 1u);
  EXPECT_EQ(f[0].metric[0].gauge.value, 0);
  EXPECT_EQ(f[1].metric[0].counter.value, 7);
}

}  // namespace
}  // namespace mlmodel
