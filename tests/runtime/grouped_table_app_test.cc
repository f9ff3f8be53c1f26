// KTable::group_by with count as a KafkaStreams application against an in-process runneld:
// the repartition topic's Change records cross a real broker and are aggregated on the other
// side, so a key moving between groups is subtracted from one and added to the other.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"
#include "tests/runtime/streams_test_support.h"

namespace runnel {
namespace grouped_table_app_test {

using namespace std::chrono_literals;
using S = std::string;
using I64 = std::int64_t;
using testing::decode_int64;
using testing::Message;
using testing::wait_for;

class GroupedTableAppTest : public testing::BrokerFixture {};

TEST_F(GroupedTableAppTest, RegionCountsFollowUsersAcrossTheRepartitionTopic) {
  create_topic("user-regions", 2);
  create_topic("region-counts", 2);
  StreamsBuilder builder;
  builder.table<S, S>("user-regions")
      .group_by([](const S& user, const S& region) { return make_key_value(region, user); })
      .count(Materialized<S, I64>::as("region-counts"))
      .to_stream()
      .to("region-counts");
  // Per user in order; users may be on different partitions.
  produce("user-regions", {{"alice", "eu", -1, 0, 1},
                           {"bob", "eu", -1, 0, 2},
                           {"carol", "us", -1, 0, 3},
                           {"alice", "us", -1, 0, 4},        // eu -1, us +1: two records.
                           {"bob", std::nullopt, -1, 0, 5},  // eu -1.
                           {"carol", "us", -1, 0, 6}});      // Same group: one record.
  KafkaStreams app(builder.build(), {{"application.id", "grp"},
                                     {"bootstrap.servers", bootstrap_},
                                     {"state.dir", (dir_ / "state").string()},
                                     {"commit.interval.ms", "100"},
                                     // Every update and repartition record is asserted: no
                                     // record cache (on by default) to coalesce them.
                                     {"cache.max.bytes.buffering", "0"},
                                     {"consumer.heartbeat.interval.ms", "200"}});
  Status started = app.start();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_TRUE(wait_for([&] { return record_count("region-counts") >= 7; }))
      << record_count("region-counts");
  app.close();

  std::map<S, I64> last;
  for (const Message& m : read_to_end("region-counts")) last[*m.key] = decode_int64(*m.value);
  EXPECT_EQ(last, (std::map<S, I64>{{"eu", 0}, {"us", 2}}));
  EXPECT_EQ(record_count("region-counts"), 7);

  // The repartition topic: one Change per group touched, {value}{flag}: 1 adds, 0 subtracts,
  // 2 is {length of new}{new}{old} for an update within the group.
  EXPECT_EQ(partitions_of("grp-region-counts-repartition"), 2);
  std::vector<std::pair<S, S>> repartitioned;
  for (const Message& m : read_to_end("grp-region-counts-repartition")) {
    repartitioned.emplace_back(*m.key, *m.value);
  }
  std::sort(repartitioned.begin(), repartitioned.end());
  std::vector<std::pair<S, S>> expected = {{"eu", S("alice\0", 6)},
                                           {"eu", S("alice\1", 6)},
                                           {"eu", S("bob\0", 4)},
                                           {"eu", S("bob\1", 4)},
                                           {"us", S("\0\0\0\5"
                                                    "carolcarol\2",
                                                    15)},
                                           {"us", S("alice\1", 6)},
                                           {"us", S("carol\1", 6)}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(repartitioned, expected);
}

}  // namespace grouped_table_app_test
}  // namespace runnel
