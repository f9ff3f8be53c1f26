// A key-value store kept in memory (Materialized::with_in_memory_store) in a KafkaStreams
// application: nothing of it is on disk, and every start rebuilds it from the whole changelog
// whatever the task's checkpoint says, so counts carry on across restarts.
#include <cstdint>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"
#include "tests/runtime/streams_test_support.h"

namespace runnel {
namespace in_memory_store_app_test {

using S = std::string;
using I64 = std::int64_t;
using testing::decode_int64;
using testing::Message;
using testing::wait_for;
using testing::word_count_topology;

class InMemoryStoreAppTest : public testing::BrokerFixture {
 protected:
  KafkaStreams::Metrics run(std::int64_t outputs) {
    KafkaStreams app(word_count_topology(Materialized<S, I64>::as("counts").with_in_memory_store()),
                     {{"application.id", "wc"},
                      {"bootstrap.servers", bootstrap_},
                      {"state.dir", (dir_ / "state").string()},
                      {"commit.interval.ms", "100"},
                      // Counts every update and changelog record: no cache coalescing them.
                      {"cache.max.bytes.buffering", "0"},
                      {"consumer.heartbeat.interval.ms", "200"}});
    Status started = app.start();
    EXPECT_TRUE(started.ok()) << started;
    EXPECT_TRUE(wait_for([&] { return record_count("word-counts") >= outputs; }));
    app.close();
    return app.metrics();
  }
};

TEST_F(InMemoryStoreAppTest, EveryStartRestoresTheWholeChangelogAndCountsCarryOn) {
  create_topic("text", 1);
  create_topic("word-counts", 1);
  produce("text", {{std::nullopt, "a b a", -1, 0, 1}});
  EXPECT_EQ(run(3).restored_records, 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state" / "wc" / "1_0" / "counts"));
  produce("text", {{std::nullopt, "a c", -1, 0, 2}});
  // The clean close wrote a checkpoint, but the store started empty: all 3 logged updates
  // are replayed (a RocksDB store would replay none).
  EXPECT_EQ(run(5).restored_records, 3u);
  std::map<S, I64> counts;
  for (const Message& m : read_to_end("word-counts")) counts[*m.key] = decode_int64(*m.value);
  EXPECT_EQ(counts, (std::map<S, I64>{{"a", 3}, {"b", 1}, {"c", 1}}));
}

}  // namespace in_memory_store_app_test
}  // namespace runnel
