#include "core/metrics.h"

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace runnel::metrics {
namespace {

TEST(MetricsTest, CountersSumIncrementsFromManyThreads) {
  Counter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) counter.inc();
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), 160000u);
}

TEST(MetricsTest, ACounterIsExposedWithHelpTypeAndLabels) {
  Registry registry;
  registry.counter("kafka_server_brokertopicmetrics_messagesin_total", "Messages appended.")
      .with({{"topic", "orders"}})
      ->inc(3);
  EXPECT_EQ(registry.scrape(),
            "# HELP kafka_server_brokertopicmetrics_messagesin_total Messages appended.\n"
            "# TYPE kafka_server_brokertopicmetrics_messagesin_total counter\n"
            "kafka_server_brokertopicmetrics_messagesin_total{topic=\"orders\"} 3\n");
}

TEST(MetricsTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  Registry registry;
  registry.gauge("g", "Help with \\ and\nnewline.").with({{"v", "a\\b\"c\nd"}})->set(1.5);
  EXPECT_EQ(registry.scrape(),
            "# HELP g Help with \\\\ and\\nnewline.\n"
            "# TYPE g gauge\n"
            "g{v=\"a\\\\b\\\"c\\nd\"} 1.5\n");
}

TEST(MetricsTest, AHistogramHasCumulativeBucketsSumAndCount) {
  Registry registry;
  auto histogram = registry.histogram("latency_ms", "Latency.", {1, 10}).with({});
  histogram->observe(0.5);
  histogram->observe(1);
  histogram->observe(5);
  histogram->observe(100);
  EXPECT_EQ(registry.scrape(),
            "# HELP latency_ms Latency.\n"
            "# TYPE latency_ms histogram\n"
            "latency_ms_bucket{le=\"1\"} 2\n"
            "latency_ms_bucket{le=\"10\"} 3\n"
            "latency_ms_bucket{le=\"+Inf\"} 4\n"
            "latency_ms_sum 106.5\n"
            "latency_ms_count 4\n");
}

TEST(MetricsTest, CollectorsReportAtScrapeTimeUntilTheirHandleDies) {
  Registry registry;
  double size = 10;
  {
    Registry::CollectorHandle handle = registry.add_collector([&](SampleWriter& out) {
      out.add("kafka_log_log_size", Type::kGauge, "Bytes.", {{"topic", "t"}, {"partition", "0"}},
              size);
    });
    size = 20;
    EXPECT_EQ(registry.scrape(),
              "# HELP kafka_log_log_size Bytes.\n"
              "# TYPE kafka_log_log_size gauge\n"
              "kafka_log_log_size{topic=\"t\",partition=\"0\"} 20\n");
  }
  EXPECT_EQ(registry.scrape(), "");
}

TEST(MetricsTest, KafkaStreamsNamesBecomePrometheusNames) {
  EXPECT_EQ(sanitize_name("process-rate"), "process_rate");
  EXPECT_EQ(sanitize_name("thread-id"), "thread_id");
  EXPECT_EQ(sanitize_name("0abc"), "_0abc");
}

TEST(MetricsTest, ValuesUseTheTextFormatsSpellings) {
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(MetricsTest, ARemovedSeriesIsNoLongerExposed) {
  Registry registry;
  Family<Counter>& family = registry.counter("c_total", "C.");
  family.with({{"task", "0_0"}})->inc();
  family.remove({{"task", "0_0"}});
  EXPECT_EQ(registry.scrape(), "");
}

TEST(MetricsTest, OneNameWithTwoTypesIsAProgrammingError) {
  Registry registry;
  registry.counter("x", "X.");
  EXPECT_THROW(registry.gauge("x", "X."), std::logic_error);
}

}  // namespace
}  // namespace runnel::metrics
