#include "broker/storage/record_batch.h"

#include <gtest/gtest.h>

#include "broker/storage/record_batch_builder.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::make_batch;
using testing::reseal;

constexpr int32_t kNoLimit = 1 << 30;

TEST(RecordBatchTest, ABuilderBatchValidatesWithItsCountsAndCrc) {
  const Bytes batch = make_batch(3);
  const BatchValidation validation = validate_produced_batches(batch, kNoLimit);
  ASSERT_EQ(validation.error, AppendError::kNone) << validation.message;
  ASSERT_EQ(validation.batches.size(), 1u);
  const RecordBatchHeader& header = validation.batches[0].header;
  EXPECT_EQ(validation.batches[0].position, 0u);
  EXPECT_EQ(header.magic, 2);
  EXPECT_EQ(header.record_count, 3);
  EXPECT_EQ(header.last_offset_delta, 2);
  EXPECT_EQ(header.total_size(), batch.size());
  EXPECT_EQ(header.crc, record_batch_crc(batch));
  EXPECT_TRUE(check_stored_batch(batch).ok());
}

TEST(RecordBatchTest, RefusesABatchTruncatedAtEveryByte) {
  const Bytes batch = make_batch(3);
  EXPECT_EQ(validate_produced_batches(BytesView(), kNoLimit).error, AppendError::kInvalidRecord);
  for (size_t length = 1; length < batch.size(); ++length) {
    const BatchValidation validation =
        validate_produced_batches(batch.view().subview(0, length), kNoLimit);
    EXPECT_EQ(validation.error, AppendError::kCorruptMessage) << "length " << length;
    EXPECT_TRUE(validation.batches.empty());
    EXPECT_FALSE(check_stored_batch(batch.view().subview(0, length)).ok()) << length;
  }
}

TEST(RecordBatchTest, RefusesACompleteBatchFollowedByATruncatedOne) {
  const Bytes second = make_batch(2);
  for (size_t length = 1; length < second.size(); ++length) {
    Bytes blob = make_batch(1);
    blob.append(second.view().subview(0, length));
    const BatchValidation validation = validate_produced_batches(blob, kNoLimit);
    EXPECT_EQ(validation.error, AppendError::kCorruptMessage) << "length " << length;
    EXPECT_TRUE(validation.batches.empty());
  }
}

TEST(RecordBatchTest, RefusesABatchWithAnyCrcCoveredByteFlipped) {
  const Bytes batch = make_batch(3);
  // The CRC itself and everything from attributes to the end.
  for (size_t at = RecordBatchHeader::kCrcAt; at < batch.size(); ++at) {
    Bytes corrupt = batch;
    corrupt[at] ^= 0x01;
    const BatchValidation validation = validate_produced_batches(corrupt, kNoLimit);
    EXPECT_EQ(validation.error, AppendError::kCorruptMessage) << "byte " << at;
    EXPECT_NE(validation.message.find("CRC"), std::string::npos) << validation.message;
    EXPECT_FALSE(check_stored_batch(corrupt).ok()) << "byte " << at;
  }
}

TEST(RecordBatchTest, RefusesMessageFormatsZeroAndOne) {
  for (uint8_t magic : {0, 1}) {
    Bytes old = make_batch(1);
    old[RecordBatchHeader::kMagicAt] = magic;
    const BatchValidation validation = validate_produced_batches(old, kNoLimit);
    EXPECT_EQ(validation.error, AppendError::kUnsupportedForMessageFormat) << int{magic};
    EXPECT_FALSE(check_stored_batch(old).ok());
  }
}

TEST(RecordBatchTest, RefusesAControlBatchFromAProducer) {
  Bytes batch = make_batch(1);
  batch[RecordBatchHeader::kAttributesAt + 1] |= RecordBatchHeader::kControlFlag;
  reseal(batch);
  const BatchValidation validation = validate_produced_batches(batch, kNoLimit);
  EXPECT_EQ(validation.error, AppendError::kInvalidRecord);
  EXPECT_NE(validation.message.find("control"), std::string::npos) << validation.message;
}

TEST(RecordBatchTest, AcceptsTheFourKnownCodecsWithoutDecompressingAndRefusesFiveToSeven) {
  for (uint8_t codec = 1; codec <= 7; ++codec) {
    Bytes batch = make_batch(2);
    batch[RecordBatchHeader::kAttributesAt + 1] |= codec;
    reseal(batch);
    const BatchValidation validation = validate_produced_batches(batch, kNoLimit);
    if (codec <= 4) {
      EXPECT_EQ(validation.error, AppendError::kNone) << "codec " << int{codec};
      // The broker never decompresses: decoding such a batch is refused, not attempted.
      EXPECT_FALSE(decode_uncompressed_batch(batch).ok()) << "codec " << int{codec};
    } else {
      EXPECT_EQ(validation.error, AppendError::kCorruptMessage) << "codec " << int{codec};
      EXPECT_NE(validation.message.find("codec"), std::string::npos) << validation.message;
    }
  }
}

TEST(RecordBatchTest, FindsACodecInAnyBatchOfABlob) {
  Bytes plain = make_batch(2);
  Bytes zstd = make_batch(1);
  zstd[RecordBatchHeader::kAttributesAt + 1] |= 4;
  reseal(zstd);
  Bytes blob = plain;
  blob.append(zstd.view());  // the zstd batch second
  EXPECT_TRUE(any_batch_compressed_with(blob, 4));
  EXPECT_FALSE(any_batch_compressed_with(blob, 1));
  EXPECT_FALSE(any_batch_compressed_with(plain, 4));
  // A blob cut short reads no further than its bytes.
  EXPECT_FALSE(any_batch_compressed_with(blob.view().subview(0, plain.size() + 10), 4));
  EXPECT_FALSE(any_batch_compressed_with(BytesView(), 4));
}

TEST(RecordBatchTest, RefusesARecordCountThatDisagreesWithTheLastOffsetDelta) {
  struct Case {
    int32_t record_count;
    int32_t last_offset_delta;
  };
  for (const Case& c : {Case{5, 2}, Case{3, 3}, Case{3, 0}, Case{0, -1}, Case{-1, 2}}) {
    Bytes batch = make_batch(3);
    store_big_endian<int32_t>(batch.data() + 57, c.record_count);
    store_big_endian<int32_t>(batch.data() + RecordBatchHeader::kLastOffsetDeltaAt,
                              c.last_offset_delta);
    reseal(batch);
    EXPECT_EQ(validate_produced_batches(batch, kNoLimit).error, AppendError::kInvalidRecord)
        << c.record_count << " records, delta " << c.last_offset_delta;
  }
}

TEST(RecordBatchTest, RefusesABatchAboveMaxMessageBytesAndAcceptsOneExactlyAtIt) {
  const Bytes batch = make_batch(4, 100);
  const auto size = static_cast<int32_t>(batch.size());
  EXPECT_EQ(validate_produced_batches(batch, size).error, AppendError::kNone);
  const BatchValidation validation = validate_produced_batches(batch, size - 1);
  EXPECT_EQ(validation.error, AppendError::kMessageTooLarge);
  EXPECT_NE(validation.message.find("max.message.bytes"), std::string::npos);
}

TEST(RecordBatchTest, FindsEverySeveralBatchesInOneBlobAtTheirPositions) {
  const std::vector<Bytes> parts = {make_batch(1), make_batch(4, 50), make_batch(2, 0)};
  const Bytes blob = testing::concat(parts);
  const BatchValidation validation = validate_produced_batches(blob, kNoLimit);
  ASSERT_EQ(validation.error, AppendError::kNone) << validation.message;
  ASSERT_EQ(validation.batches.size(), 3u);
  size_t position = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(validation.batches[i].position, position);
    EXPECT_EQ(validation.batches[i].header.total_size(), parts[i].size());
    position += parts[i].size();
  }
  EXPECT_EQ(validation.batches[1].header.record_count, 4);
}

TEST(RecordBatchTest, OneBadBatchRefusesTheWholeBlobAndNamesIt) {
  Bytes bad = make_batch(2);
  bad[bad.size() - 1] ^= 0xff;
  const Bytes blob = testing::concat({make_batch(1), bad, make_batch(1)});
  const BatchValidation validation = validate_produced_batches(blob, kNoLimit);
  EXPECT_EQ(validation.error, AppendError::kCorruptMessage);
  EXPECT_TRUE(validation.batches.empty());
  EXPECT_NE(validation.message.find("batch 1"), std::string::npos) << validation.message;
}

TEST(RecordBatchTest, DecodingRoundTripsKeysValuesTimestampsAndHeaders) {
  Headers headers;
  headers.add("trace", Bytes::from_string("abc"));
  headers.add("trace", Bytes::from_string("def"));
  headers.add("null-value", std::nullopt);
  headers.add("empty-value", Bytes());
  RecordBatchBuilder builder(5'000);
  builder.add(std::nullopt, Bytes::from_string("null key"), 5'000, Headers());
  builder.add(Bytes(), Bytes::from_string("empty key"), 5'001, Headers());
  builder.add(Bytes::from_string("tombstone"), std::nullopt, 4'000, Headers());
  builder.add(Bytes::from_string("empty value"), Bytes(), 9'999, headers);
  const Bytes batch = builder.build();
  ASSERT_EQ(validate_produced_batches(batch, kNoLimit).error, AppendError::kNone);
  EXPECT_EQ(RecordBatchHeader::parse(batch).max_timestamp, 9'999);

  auto decoded = decode_uncompressed_batch(batch);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  ASSERT_EQ(decoded->size(), 4u);
  const auto& r = *decoded;
  EXPECT_EQ(r[0].key, std::nullopt);
  EXPECT_EQ(r[0].value, Bytes::from_string("null key"));
  EXPECT_EQ(r[1].key, Bytes());
  EXPECT_EQ(r[2].value, std::nullopt);
  EXPECT_EQ(r[3].value, Bytes());
  EXPECT_EQ(r[3].key, Bytes::from_string("empty value"));
  const int64_t timestamps[] = {5'000, 5'001, 4'000, 9'999};
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].offset, static_cast<int64_t>(i));
    EXPECT_EQ(r[i].timestamp_ms, timestamps[i]);
  }
  EXPECT_TRUE(r[0].headers.empty());
  EXPECT_EQ(r[3].headers, headers);
}

TEST(RecordBatchTest, DecodedOffsetsFollowTheBaseOffsetTheBrokerAssigned) {
  Bytes batch = make_batch(3);
  store_big_endian<int64_t>(batch.data() + RecordBatchHeader::kBaseOffsetAt, 40);
  // The base offset is outside the CRC: assigning it needs no re-seal.
  ASSERT_TRUE(check_stored_batch(batch).ok());
  auto decoded = decode_uncompressed_batch(batch);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  ASSERT_EQ(decoded->size(), 3u);
  EXPECT_EQ((*decoded)[0].offset, 40);
  EXPECT_EQ((*decoded)[2].offset, 42);
}

}  // namespace
}  // namespace runnel::broker
