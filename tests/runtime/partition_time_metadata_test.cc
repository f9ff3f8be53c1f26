// The commit metadata carrying a task's stream time: Kafka Streams' TopicPartitionMetadata
// format, written as version 1 and read in versions 1 and 2.
#include "runtime/internal/partition_time_metadata.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace runnel::internal {
namespace partition_time_metadata_test {

TEST(PartitionTimeMetadataTest, IsKafkaStreamsVersionOneFormatInBase64) {
  // Version byte 1, then 1700000000000 (0x0000018BCFE56800) big-endian.
  EXPECT_EQ(encode_partition_time(1700000000000), "AQAAAYvP5WgA");
  EXPECT_EQ(decode_partition_time("AQAAAYvP5WgA"), 1700000000000);
}

TEST(PartitionTimeMetadataTest, RoundTripsEveryTimeFromZeroToTheLargest) {
  for (Timestamp t : {Timestamp{0}, Timestamp{1}, Timestamp{255}, Timestamp{1} << 40,
                      std::numeric_limits<Timestamp>::max()}) {
    EXPECT_EQ(decode_partition_time(encode_partition_time(t)), t) << t;
  }
}

TEST(PartitionTimeMetadataTest, ReadsKafkaStreamsVersionTwoWithItsProcessorMetadata) {
  // Version 2, time 42, then processor metadata bytes (ignored): base64 of
  // 02 00 00 00 00 00 00 00 2A 00 00 00 01.
  EXPECT_EQ(decode_partition_time("AgAAAAAAAAAqAAAAAQ=="), 42);
  // Version 2 with no processor metadata.
  EXPECT_EQ(decode_partition_time("AgAAAAAAAAAq"), 42);
}

TEST(PartitionTimeMetadataTest, AnythingElseIsNoTime) {
  EXPECT_EQ(decode_partition_time(""), std::nullopt);
  EXPECT_EQ(decode_partition_time("not base64!"), std::nullopt);
  EXPECT_EQ(decode_partition_time("AQAA"), std::nullopt);              // too short
  EXPECT_EQ(decode_partition_time("AwAAAAAAAAAq"), std::nullopt);      // version 3
  EXPECT_EQ(decode_partition_time("AQAAAAAAAAAqAA=="), std::nullopt);  // v1 with extra bytes
  EXPECT_EQ(decode_partition_time("Af//////////"), std::nullopt);      // a negative time
  EXPECT_EQ(decode_partition_time("{\"user\":\"metadata\"}"), std::nullopt);
}

}  // namespace partition_time_metadata_test
}  // namespace runnel::internal
