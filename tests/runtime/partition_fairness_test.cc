// Fair processing across a stream thread's partitions: the records of a repartition topic are
// processed while a backlog of source records is still waiting, not after it (each partition's
// fetched records wait in a queue of their own and a poll takes from each only what its
// buffer, buffered.records.per.partition, has room for).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "operators/repartitioned.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"
#include "tests/runtime/streams_test_support.h"

namespace runnel {
namespace partition_fairness_test {

using namespace std::chrono_literals;
using S = std::string;
using testing::Message;
using testing::wait_for;

class PartitionFairnessTest : public testing::BrokerFixture {};

// Sub-topology 1 reads `input` (a backlog written before the application starts) and writes
// every record to a repartition topic; sub-topology 2 reads it back and writes `output`.
// Counts what each sub-topology has processed, and how many source records sub-topology 1 had
// processed when sub-topology 2 processed its first record.
struct TwoStageApp {
  std::atomic<std::int64_t> sources{0};
  std::atomic<std::int64_t> repartitioned{0};
  std::atomic<std::int64_t> sources_at_first_repartitioned{-1};

  Topology topology() {
    StreamsBuilder builder;
    builder.stream<S, S>("input")
        .peek([this](const std::optional<S>&, const S&) {
          ++sources;
          // A costlier source record than a plain copy, as in a real application: the
          // consumer fetches the backlog far ahead of the processing, which is when a shared
          // queue would keep the repartitioned records behind it.
          std::this_thread::sleep_for(20us);
        })
        .repartition(Repartitioned<S, S>::as("stage"))
        .peek([this](const std::optional<S>&, const S&) {
          std::int64_t none = -1;
          sources_at_first_repartitioned.compare_exchange_strong(none, sources.load());
          ++repartitioned;
        })
        .to("output");
    return builder.build();
  }
};

TEST_F(PartitionFairnessTest, RepartitionedRecordsAreProcessedWhileTheSourceBacklogWaits) {
  create_topic("input", 1);
  create_topic("output", 1);
  constexpr std::int64_t kBacklog = 20'000;
  // 200-byte values: the backlog is about 4 MB, several fetches.
  const std::string value(200, 'v');
  std::vector<Message> backlog;
  for (std::int64_t i = 0; i < kBacklog; ++i) {
    backlog.push_back({"key-" + std::to_string(i % 97), value, 0, 0, 1'000 + i});
  }
  produce("input", backlog);

  TwoStageApp counts;
  KafkaStreams app(counts.topology(), {{"application.id", "fairness"},
                                       {"bootstrap.servers", bootstrap_},
                                       {"state.dir", (dir_ / "state").string()},
                                       {"commit.interval.ms", "100"}});
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return counts.repartitioned.load() >= kBacklog; }, 120s))
      << counts.sources.load() << " source and " << counts.repartitioned.load()
      << " repartitioned records processed";
  app.close();

  EXPECT_EQ(counts.sources.load(), kBacklog);
  // The first record back from the repartition topic came while most of the backlog was
  // still to be processed; behind the backlog in one queue, it would have come after nearly
  // all of it (the consumer fetches the whole 4 MB ahead).
  const std::int64_t at_first = counts.sources_at_first_repartitioned.load();
  EXPECT_GE(at_first, 1);
  EXPECT_LT(at_first, kBacklog / 2) << "source records processed before the first repartitioned";
}

}  // namespace partition_fairness_test
}  // namespace runnel
