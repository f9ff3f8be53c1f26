// The application's metrics: store operations counted through a task's metered stores, and
// their rendering under Kafka Streams' names.
#include "runtime/internal/metrics_endpoint.h"

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "operators/internal/task_context.h"
#include "operators/streams_builder.h"
#include "runtime/stream_task.h"

namespace runnel {
namespace metrics_endpoint_test {

using S = std::string;

class NullCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string&, NullableBytesView, NullableBytesView, Timestamp, const Headers&,
              std::optional<std::int32_t>) override {
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
};

// Every sample written, by name and labels.
class MapWriter final : public metrics::SampleWriter {
 public:
  void add(const std::string& name, metrics::Type type, const std::string&,
           const metrics::Labels& labels, double value) override {
    samples[{name, labels}] = value;
    types[name] = type;
  }
  std::map<std::pair<std::string, metrics::Labels>, double> samples;
  std::map<std::string, metrics::Type> types;
};

std::uint64_t count_of(const StreamTask::StoreMetrics& store, const std::string& operation) {
  for (const auto& [name, stats] : store.operations) {
    if (name == operation) return stats.count;
  }
  return 0;
}

Topology counting_topology() {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      .count(Materialized<S, std::int64_t>::as("counts").with_caching_disabled())
      .to_stream()
      .to("out");
  return builder.build();
}

TEST(StoreMetricsTest, AStoresGetsAndPutsAreCountedAndTimed) {
  Topology topology = counting_topology();
  NullCollector collector;
  ManualClock clock{0};
  LogAndFailExceptionHandler handler;
  auto task = StreamTask::create(topology, {0, 0}, {"app", &collector, &clock, &handler});
  ASSERT_TRUE(task.ok()) << task.status();
  for (int i = 0; i < 3; ++i) {
    const S key = "k" + std::to_string(i % 2);
    ASSERT_TRUE((*task)
                    ->process(internal::RawRecordView{"in", 0, i, BytesView(key),
                                                      BytesView(std::string_view("v")), i, nullptr})
                    .ok());
  }
  std::vector<StreamTask::StoreMetrics> stores = (*task)->store_metrics();
  ASSERT_EQ(stores.size(), 1u);
  EXPECT_EQ(stores[0].name, "counts");
  EXPECT_EQ(count_of(stores[0], "get"), 3u);
  EXPECT_EQ(count_of(stores[0], "put"), 3u);
}

TEST(StoreMetricsTest, RecordingLevelInfoLeavesTheMeteringOut) {
  Topology topology = counting_topology();
  NullCollector collector;
  ManualClock clock{0};
  LogAndFailExceptionHandler handler;
  StreamTask::Options options{"app", &collector, &clock, &handler};
  options.record_store_metrics = false;
  auto task = StreamTask::create(topology, {0, 0}, std::move(options));
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_TRUE((*task)
                  ->process(internal::RawRecordView{"in", 0, 0, BytesView(std::string_view("k")),
                                                    BytesView(std::string_view("v")), 0, nullptr})
                  .ok());
  std::vector<StreamTask::StoreMetrics> stores = (*task)->store_metrics();
  ASSERT_EQ(stores.size(), 1u);
  EXPECT_TRUE(stores[0].operations.empty());
}

TEST(StreamsMetricsTest, ThreadTaskStoreAndLagMetricsUseKafkaStreamsNames) {
  KafkaStreams::Metrics metrics;
  StreamThreadMetrics thread;
  thread.name = "app-StreamThread-1";
  thread.processed = 10;
  thread.commits = 2;
  thread.commit_latency_avg_us = 1500;
  thread.polls = 4;
  thread.restore_remaining_records = 5;
  thread.consumer_lag[{"in", 1}] = 7;
  TaskManager::TaskMetrics task;
  task.id = TaskId{0, 1};
  task.counts.processed = 10;
  StreamTask::StoreMetrics store{.name = "counts", .kind = StoreKind::kKeyValue};
  store.operations = {
      {"put", state::OperationStats{.count = 64, .total_ns = 400, .max_ns = 250, .timed = 4}}};
  task.stores.push_back(store);
  thread.tasks.push_back(task);
  metrics.threads.push_back(thread);

  internal::RateTracker rates;
  MapWriter out;
  internal::write_streams_metrics(metrics, rates, out);
  const metrics::Labels thread_labels{{"thread_id", "app-StreamThread-1"}};
  EXPECT_EQ((out.samples[{"kafka_streams_stream_thread_metrics_process_total", thread_labels}]),
            10);
  EXPECT_EQ(out.types["kafka_streams_stream_thread_metrics_process_total"],
            metrics::Type::kCounter);
  EXPECT_EQ(
      (out.samples[{"kafka_streams_stream_thread_metrics_commit_latency_avg", thread_labels}]),
      1.5);  // milliseconds
  EXPECT_EQ((out.samples[{"kafka_streams_stream_thread_metrics_poll_total", thread_labels}]), 4);
  EXPECT_EQ((out.samples[{"kafka_streams_stream_thread_metrics_restore_remaining_records_total",
                          thread_labels}]),
            5);
  EXPECT_EQ((out.samples[{"kafka_streams_stream_task_metrics_process_total",
                          {{"thread_id", "app-StreamThread-1"}, {"task_id", "0_1"}}}]),
            10);
  const metrics::Labels store_labels{
      {"thread_id", "app-StreamThread-1"}, {"task_id", "0_1"}, {"rocksdb-state-id", "counts"}};
  EXPECT_EQ((out.samples[{"kafka_streams_stream_state_metrics_put_total", store_labels}]), 64);
  EXPECT_EQ((out.samples[{"kafka_streams_stream_state_metrics_put_latency_avg", store_labels}]),
            100);  // nanoseconds
  EXPECT_EQ((out.samples[{"kafka_streams_stream_state_metrics_put_latency_max", store_labels}]),
            250);
  EXPECT_EQ(
      (out.samples[{
          "kafka_consumer_consumer_fetch_manager_metrics_records_lag",
          {{"client_id", "app-StreamThread-1-consumer"}, {"topic", "in"}, {"partition", "1"}}}]),
      7);
}

TEST(StreamsMetricsTest, RatesAreTheIncreaseBetweenScrapesPerSecond) {
  internal::RateTracker rates;
  EXPECT_EQ(rates.per_second("s", 100), 0);  // first sight: no interval yet
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GT(rates.per_second("s", 200), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(rates.per_second("s", 200), 0);  // nothing new
}

}  // namespace metrics_endpoint_test
}  // namespace runnel
