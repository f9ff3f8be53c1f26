#include "broker/storage/log.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker/storage/record_batch_builder.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::batches_in;
using testing::make_batch;
using testing::offsets_in;
using testing::read_all;
using testing::TempDir;

constexpr int64_t kNow = 1'700'000'000'000;

std::unique_ptr<Log> open_log(const std::filesystem::path& dir, const TopicConfig& config = {},
                              int64_t now_ms = kNow) {
  auto log = Log::open(dir, config, now_ms);
  EXPECT_TRUE(log.ok()) << log.status().to_string();
  return log.ok() ? std::move(log).value() : nullptr;
}

TopicConfig with(const std::map<std::string, std::string>& overrides) {
  auto config = TopicConfig().with_overrides(overrides);
  EXPECT_TRUE(config.ok()) << config.status().to_string();
  return *config;
}

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> all;
  for (int64_t o = from; o < to; ++o) all.push_back(o);
  return all;
}

std::vector<std::filesystem::path> files_ending(const std::filesystem::path& dir,
                                                const std::string& suffix) {
  std::vector<std::filesystem::path> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().string().ends_with(suffix)) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

TEST(LogTest, AppendsAssignConsecutiveOffsetsAcrossMultiBatchBlobs) {
  TempDir dir;
  auto log = open_log(dir.path());
  EXPECT_EQ(log->log_end_offset(), 0);

  AppendResult first = log->append(testing::concat({make_batch(2), make_batch(3)}), kNow);
  ASSERT_EQ(first.error, AppendError::kNone) << first.message;
  EXPECT_EQ(first.base_offset, 0);
  EXPECT_EQ(first.last_offset, 4);
  AppendResult second = log->append(make_batch(1), kNow);
  EXPECT_EQ(second.base_offset, 5);
  EXPECT_EQ(second.last_offset, 5);
  AppendResult third = log->append(testing::concat({make_batch(4), make_batch(1)}), kNow);
  EXPECT_EQ(third.base_offset, 6);
  EXPECT_EQ(third.last_offset, 10);
  EXPECT_EQ(third.log_append_time_ms, -1);
  EXPECT_EQ(log->log_end_offset(), 11);

  const Bytes all = read_all(*log);
  const auto headers = batches_in(all);
  ASSERT_EQ(headers.size(), 5u);
  const int64_t bases[] = {0, 2, 5, 6, 10};
  for (size_t i = 0; i < headers.size(); ++i) {
    EXPECT_EQ(headers[i].base_offset, bases[i]);
    // Offsets are assigned in the base offset, which the CRC does not cover.
    EXPECT_TRUE(check_stored_batch(all.view().subview(0)).ok());
  }
  EXPECT_EQ(offsets_in(*log), range(0, 11));
  EXPECT_EQ(all.size(), log->size_bytes());
}

TEST(LogTest, StoresBatchesByteForByteApartFromTheBaseOffset) {
  TempDir dir;
  auto log = open_log(dir.path());
  ASSERT_EQ(log->append(make_batch(2), kNow).error, AppendError::kNone);
  const Bytes sent = make_batch(3, 77);
  ASSERT_EQ(log->append(sent, kNow).error, AppendError::kNone);
  auto read = log->read(2, 1 << 20);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  ASSERT_EQ(read->records.size(), sent.size());
  EXPECT_EQ(read->records.view().subview(8), sent.view().subview(8));
  EXPECT_EQ(RecordBatchHeader::parse(read->records).base_offset, 2);
}

TEST(LogTest, ReadInTheMiddleOfABatchReturnsWholeBatchesFromTheOneContainingIt) {
  TempDir dir;
  auto log = open_log(dir.path());
  for (int i = 0; i < 4; ++i) ASSERT_EQ(log->append(make_batch(5), kNow).error, AppendError::kNone);
  for (int64_t offset = 0; offset < 20; ++offset) {
    auto read = log->read(offset, 1 << 20);
    ASSERT_TRUE(read.ok()) << read.status().to_string();
    const auto headers = batches_in(read->records);
    ASSERT_FALSE(headers.empty()) << offset;
    EXPECT_EQ(headers.front().base_offset, offset / 5 * 5) << offset;
    EXPECT_EQ(headers.back().last_offset(), 19);
    EXPECT_EQ(read->high_watermark, 20);
    EXPECT_EQ(read->log_start_offset, 0);
  }
}

TEST(LogTest, ReadReturnsOnlyWholeBatchesWithinMaxBytes) {
  TempDir dir;
  auto log = open_log(dir.path());
  const Bytes batch = make_batch(2, 100);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(log->append(batch, kNow).error, AppendError::kNone);
  auto read = log->read(0, static_cast<int32_t>(batch.size() * 2 + batch.size() / 2));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->records.size(), batch.size() * 2);
  EXPECT_EQ(batches_in(read->records).size(), 2u);
}

TEST(LogTest, ReadReturnsTheFirstBatchWholeWhenItIsLargerThanMaxBytes) {
  TempDir dir;
  auto log = open_log(dir.path());
  const Bytes big = make_batch(10, 1000);
  ASSERT_EQ(log->append(big, kNow).error, AppendError::kNone);
  ASSERT_EQ(log->append(make_batch(1), kNow).error, AppendError::kNone);
  for (int32_t max_bytes : {0, 1, 61, static_cast<int32_t>(big.size()) - 1}) {
    auto read = log->read(3, max_bytes);
    ASSERT_TRUE(read.ok()) << read.status().to_string();
    EXPECT_EQ(read->records.size(), big.size()) << "max_bytes " << max_bytes;
    EXPECT_TRUE(check_stored_batch(read->records).ok());
  }
}

TEST(LogTest, ReadAtTheEndIsEmptyAndOutsideTheLogIsOutOfRange) {
  TempDir dir;
  auto log = open_log(dir.path());
  auto empty_log = log->read(0, 1000);
  ASSERT_TRUE(empty_log.ok());
  EXPECT_TRUE(empty_log->records.empty());
  ASSERT_EQ(log->append(make_batch(3), kNow).error, AppendError::kNone);
  auto at_end = log->read(3, 1000);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->records.empty());
  EXPECT_EQ(at_end->high_watermark, 3);
  EXPECT_EQ(log->read(4, 1000).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(log->read(-1, 1000).status().code(), StatusCode::kOutOfRange);
}

TEST(LogTest, RollsBySegmentBytes) {
  TempDir dir;
  const Bytes batch = make_batch(2, 100);
  // Room for two batches per segment.
  auto log = open_log(
      dir.path(), with({{"segment.bytes", std::to_string(batch.size() * 2 + batch.size() / 2)}}));
  for (int i = 0; i < 7; ++i) ASSERT_EQ(log->append(batch, kNow).error, AppendError::kNone);
  EXPECT_EQ(log->segment_count(), 4u);
  const auto logs = files_ending(dir.path(), ".log");
  ASSERT_EQ(logs.size(), 4u);
  EXPECT_EQ(logs[0].filename(), "00000000000000000000.log");
  EXPECT_EQ(logs[1].filename(), "00000000000000000004.log");
  EXPECT_EQ(logs[3].filename(), "00000000000000000012.log");
  EXPECT_EQ(std::filesystem::file_size(logs[0]), batch.size() * 2);
  EXPECT_EQ(offsets_in(*log), range(0, 14));
}

TEST(LogTest, ABatchLargerThanSegmentBytesStillGoesIntoASegmentOfItsOwn) {
  TempDir dir;
  auto log = open_log(dir.path(), with({{"segment.bytes", "100"}}));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(log->append(make_batch(3, 200), kNow).error, AppendError::kNone);
  }
  EXPECT_EQ(log->segment_count(), 3u);
  EXPECT_EQ(offsets_in(*log), range(0, 9));
}

TEST(LogTest, RollsBySegmentMsAgainstTheTimeOfAppend) {
  TempDir dir;
  auto log = open_log(dir.path(), with({{"segment.ms", "1000"}}), kNow);
  ASSERT_EQ(log->append(make_batch(1), kNow).error, AppendError::kNone);
  ASSERT_EQ(log->append(make_batch(1), kNow + 999).error, AppendError::kNone);
  EXPECT_EQ(log->segment_count(), 1u);
  ASSERT_EQ(log->append(make_batch(1), kNow + 1000).error, AppendError::kNone);
  EXPECT_EQ(log->segment_count(), 2u);
  // The new segment's age counts from when it was rolled.
  ASSERT_EQ(log->append(make_batch(1), kNow + 1999).error, AppendError::kNone);
  EXPECT_EQ(log->segment_count(), 2u);
  ASSERT_EQ(log->append(make_batch(1), kNow + 2000).error, AppendError::kNone);
  EXPECT_EQ(log->segment_count(), 3u);
  EXPECT_EQ(offsets_in(*log), range(0, 5));
}

TEST(LogTest, AnEmptyActiveSegmentIsNotRolledHoweverOld) {
  TempDir dir;
  auto log = open_log(dir.path(), with({{"segment.ms", "1000"}}), kNow);
  ASSERT_EQ(log->append(make_batch(1), kNow + 1'000'000).error, AppendError::kNone);
  EXPECT_EQ(log->segment_count(), 1u);
}

TEST(LogTest, AReopenedSegmentsAgeCountsFromTheReopen) {
  TempDir dir;
  const TopicConfig config = with({{"segment.ms", "1000"}});
  {
    auto log = open_log(dir.path(), config, kNow);
    ASSERT_EQ(log->append(make_batch(1), kNow).error, AppendError::kNone);
  }
  // A restart long after the segment was created does not roll it at the first append...
  auto log = open_log(dir.path(), config, kNow + 1'000'000);
  ASSERT_EQ(log->append(make_batch(1), kNow + 1'000'000).error, AppendError::kNone);
  EXPECT_EQ(log->segment_count(), 1u);
  // ...but segment.ms after the reopen does.
  ASSERT_EQ(log->append(make_batch(1), kNow + 1'001'000).error, AppendError::kNone);
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(offsets_in(*log), range(0, 3));
}

TEST(LogTest, ConcurrentReadersSeeOnlyWholeBatchesAndContiguousOffsets) {
  TempDir dir;
  auto log = open_log(dir.path(), with({{"segment.bytes", "4000"}}));
  constexpr int kAppends = 400;
  std::atomic<bool> done{false};
  std::atomic<int> bad_reads{0};
  std::atomic<int64_t> records_seen{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      int64_t offset = 0;
      while (!done.load() || offset < log->log_end_offset()) {
        auto read = log->read(offset, 3000);
        if (!read.ok()) {
          ++bad_reads;
          return;
        }
        size_t position = 0;
        for (const RecordBatchHeader& header : batches_in(read->records)) {
          const BytesView batch = read->records.view().subview(position, header.total_size());
          if (!check_stored_batch(batch).ok() || header.base_offset > offset ||
              header.last_offset() < offset) {
            ++bad_reads;
            return;
          }
          records_seen += header.last_offset() + 1 - offset;
          offset = header.last_offset() + 1;
          position += header.total_size();
        }
        if (position != read->records.size()) {
          ++bad_reads;
          return;
        }
      }
    });
  }
  for (int i = 0; i < kAppends; ++i) {
    ASSERT_EQ(log->append(make_batch(1 + i % 3, 30), kNow).error, AppendError::kNone);
  }
  done = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(bad_reads.load(), 0);
  EXPECT_EQ(records_seen.load(), 2 * log->log_end_offset());
}

TEST(LogTest, ReadsEveryOffsetAcrossManySegments) {
  TempDir dir;
  auto log = open_log(dir.path(), with({{"segment.bytes", "300"}}));
  int64_t next = 0;
  for (int i = 0; i < 40; ++i) {
    AppendResult result = log->append(make_batch(1 + i % 4, 50), kNow);
    ASSERT_EQ(result.error, AppendError::kNone);
    ASSERT_EQ(result.base_offset, next);
    next = result.last_offset + 1;
  }
  EXPECT_GT(log->segment_count(), 10u);
  for (int64_t offset = 0; offset < next; ++offset) {
    auto read = log->read(offset, 1);
    ASSERT_TRUE(read.ok()) << read.status().to_string();
    const auto headers = batches_in(read->records);
    ASSERT_EQ(headers.size(), 1u) << offset;
    EXPECT_LE(headers[0].base_offset, offset);
    EXPECT_GE(headers[0].last_offset(), offset);
  }
  EXPECT_EQ(offsets_in(*log), range(0, next));
}

TEST(LogTest, RetentionMsDeletesWholeOldSegmentsButNeverTheActiveOne) {
  TempDir dir;
  auto log = open_log(dir.path(), with({{"segment.bytes", "100"}, {"retention.ms", "10000"}}));
  // Five segments of one batch each, record timestamps 1000 apart.
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(log->append(make_batch(2, 100, kNow + i * 1000), kNow).error, AppendError::kNone);
  }
  ASSERT_EQ(log->segment_count(), 5u);
  auto none = log->enforce_retention(kNow + 10'000);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  // Segments whose newest record is older than 10 s at kNow + 12'500: those at 0, 1000, 2000.
  auto deleted = log->enforce_retention(kNow + 12'500);
  ASSERT_TRUE(deleted.ok()) << deleted.status().to_string();
  EXPECT_EQ(*deleted, 3);
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(log->log_start_offset(), 6);
  EXPECT_EQ(files_ending(dir.path(), ".log").size(), 2u);
  EXPECT_EQ(log->read(5, 1000).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(offsets_in(*log), range(6, 10));
  // Far in the future everything is expired, but the active segment stays.
  auto rest = log->enforce_retention(kNow + 1'000'000'000);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 1);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->log_start_offset(), 8);
  EXPECT_EQ(log->log_end_offset(), 10);
  AppendResult after = log->append(make_batch(1), kNow);
  EXPECT_EQ(after.base_offset, 10);
  EXPECT_EQ(after.log_start_offset, 8);
}

TEST(LogTest, RetentionBytesDeletesOldestSegmentsUntilTheRestFits) {
  TempDir dir;
  // Records stamped now: retention.ms (7 days by default) must not be what deletes them.
  const Bytes batch = make_batch(2, 100, kNow);
  const auto size = static_cast<int64_t>(batch.size());
  auto log = open_log(dir.path(), with({{"segment.bytes", std::to_string(size)},
                                        {"retention.bytes", std::to_string(size * 3)}}));
  for (int i = 0; i < 6; ++i) ASSERT_EQ(log->append(batch, kNow).error, AppendError::kNone);
  ASSERT_EQ(log->segment_count(), 6u);
  auto deleted = log->enforce_retention(kNow);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 3);
  EXPECT_EQ(log->segment_count(), 3u);
  EXPECT_EQ(log->size_bytes(), static_cast<uint64_t>(size * 3));
  EXPECT_EQ(log->log_start_offset(), 6);
  EXPECT_EQ(offsets_in(*log), range(6, 12));
  // retention.bytes 0 still keeps the active segment.
  log->set_config(with({{"segment.bytes", std::to_string(size)}, {"retention.bytes", "0"}}));
  ASSERT_TRUE(log->enforce_retention(kNow).ok());
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->log_start_offset(), 10);
  EXPECT_EQ(log->log_end_offset(), 12);
}

TEST(LogTest, RetentionMinusOneKeepsEverything) {
  TempDir dir;
  auto log = open_log(dir.path(), with({{"segment.bytes", "100"}, {"retention.ms", "-1"}}));
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(log->append(make_batch(2, 100, 1), kNow).error, AppendError::kNone);
  auto deleted = log->enforce_retention(kNow + 1'000'000'000'000);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0);
  EXPECT_EQ(log->log_start_offset(), 0);
}

TEST(LogTest, LogAppendTimeRewritesMaxTimestampAndKeepsTheCrcValid) {
  TempDir dir;
  auto log = open_log(dir.path(), with({{"message.timestamp.type", "LogAppendTime"}}));
  const int64_t append_time = kNow + 42;
  AppendResult result = log->append(make_batch(3, 10, 5), append_time);
  ASSERT_EQ(result.error, AppendError::kNone) << result.message;
  EXPECT_EQ(result.log_append_time_ms, append_time);
  auto read = log->read(0, 1 << 20);
  ASSERT_TRUE(read.ok());
  const RecordBatchHeader header = RecordBatchHeader::parse(read->records);
  EXPECT_EQ(header.max_timestamp, append_time);
  EXPECT_NE(header.attributes & RecordBatchHeader::kLogAppendTimeFlag, 0);
  EXPECT_EQ(record_batch_crc(read->records), header.crc);
  EXPECT_TRUE(check_stored_batch(read->records).ok());
  auto found = log->offset_for_timestamp(append_time);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->first, 0);
}

TEST(LogTest, OffsetForTimestampFindsTheFirstBatchReachingIt) {
  TempDir dir;
  auto log = open_log(dir.path(), with({{"segment.bytes", "400"}, {"index.interval.bytes", "1"}}));
  // Batch i (2 records) has max timestamp 1000 * (i + 1), offsets 2i and 2i+1.
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(log->append(make_batch(2, 50, 1000 * (i + 1)), kNow).error, AppendError::kNone);
  }
  ASSERT_GT(log->segment_count(), 1u);
  struct Case {
    int64_t timestamp;
    int64_t offset;
    int64_t max_timestamp;
  };
  for (const Case& c : {Case{0, 0, 1000}, Case{1000, 0, 1000}, Case{1001, 2, 2000},
                        Case{5000, 8, 5000}, Case{5500, 10, 6000}, Case{10000, 18, 10000}}) {
    auto found = log->offset_for_timestamp(c.timestamp);
    ASSERT_TRUE(found.ok()) << found.status().to_string();
    ASSERT_TRUE(found->has_value()) << c.timestamp;
    EXPECT_EQ((*found)->first, c.offset) << c.timestamp;
    EXPECT_EQ((*found)->second, c.max_timestamp) << c.timestamp;
  }
  auto beyond = log->offset_for_timestamp(10001);
  ASSERT_TRUE(beyond.ok());
  EXPECT_FALSE(beyond->has_value());
}

TEST(LogTest, OffsetForTimestampAnswersWithTheRecordInsideABatch) {
  TempDir dir;
  auto log = open_log(dir.path(), TopicConfig());
  // One batch, records at 1000, 3000, 2000, 4000 (a producer's clock may step back).
  RecordBatchBuilder builder(1000);
  for (int64_t ts : {1000, 3000, 2000, 4000}) {
    builder.add(Bytes::from_string("k"), Bytes::from_string("v"), ts, Headers());
  }
  ASSERT_EQ(log->append(make_batch(1, 10, 500), kNow).error, AppendError::kNone);
  ASSERT_EQ(log->append(builder.build(), kNow).error, AppendError::kNone);
  struct Case {
    int64_t timestamp, offset, record_timestamp;
  };
  // Offsets 1..4 hold the batch; the first record at or after the time wins, as in Kafka.
  for (const Case& c : {Case{500, 0, 500}, Case{501, 1, 1000}, Case{1500, 2, 3000},
                        Case{3000, 2, 3000}, Case{3001, 4, 4000}}) {
    auto found = log->offset_for_timestamp(c.timestamp);
    ASSERT_TRUE(found.ok()) << found.status().to_string();
    ASSERT_TRUE(found->has_value()) << c.timestamp;
    EXPECT_EQ((*found)->first, c.offset) << c.timestamp;
    EXPECT_EQ((*found)->second, c.record_timestamp) << c.timestamp;
  }
}

TEST(LogTest, ARefusedAppendChangesNothing) {
  TempDir dir;
  auto log = open_log(dir.path(), with({{"max.message.bytes", "500"}}));
  ASSERT_EQ(log->append(make_batch(2), kNow).error, AppendError::kNone);
  const Bytes before = read_all(*log);
  const uint64_t size_before = log->size_bytes();

  Bytes corrupt = make_batch(1);
  corrupt[corrupt.size() - 1] ^= 1;
  Bytes control = make_batch(1);
  control[RecordBatchHeader::kAttributesAt + 1] |= RecordBatchHeader::kControlFlag;
  testing::reseal(control);
  const std::vector<std::pair<Bytes, AppendError>> refused = {
      {testing::concat({make_batch(1), corrupt}), AppendError::kCorruptMessage},
      {testing::concat({make_batch(1), make_batch(3, 400)}), AppendError::kMessageTooLarge},
      {control, AppendError::kInvalidRecord},
      {Bytes(), AppendError::kInvalidRecord},
  };
  for (const auto& [records, error] : refused) {
    AppendResult result = log->append(records, kNow);
    EXPECT_EQ(result.error, error) << result.message;
    EXPECT_FALSE(result.message.empty());
    EXPECT_EQ(log->log_end_offset(), 2);
    EXPECT_EQ(log->size_bytes(), size_before);
    EXPECT_EQ(read_all(*log), before);
  }
  EXPECT_EQ(log->append(make_batch(1), kNow).base_offset, 2);
}

TEST(LogTest, ReopeningKeepsEverythingAndAppendsContinueAtTheNextOffset) {
  TempDir dir;
  const TopicConfig config = with({{"segment.bytes", "500"}});
  Bytes before;
  {
    auto log = open_log(dir.path(), config);
    for (int i = 0; i < 12; ++i)
      ASSERT_EQ(log->append(make_batch(3, 40), kNow).error, AppendError::kNone);
    ASSERT_GT(log->segment_count(), 2u);
    before = read_all(*log);
  }
  auto log = open_log(dir.path(), config, kNow + 5);
  EXPECT_EQ(log->log_end_offset(), 36);
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(read_all(*log), before);
  AppendResult next = log->append(make_batch(2), kNow + 5);
  ASSERT_EQ(next.error, AppendError::kNone);
  EXPECT_EQ(next.base_offset, 36);
  EXPECT_EQ(offsets_in(*log), range(0, 38));
}

TEST(LogTest, ReopeningAfterRetentionKeepsTheLogStartOffset) {
  TempDir dir;
  const TopicConfig config = with({{"segment.bytes", "100"}, {"retention.bytes", "0"}});
  {
    auto log = open_log(dir.path(), config);
    for (int i = 0; i < 4; ++i)
      ASSERT_EQ(log->append(make_batch(2, 100), kNow).error, AppendError::kNone);
    ASSERT_TRUE(log->enforce_retention(kNow).ok());
    ASSERT_EQ(log->log_start_offset(), 6);
  }
  auto log = open_log(dir.path(), config);
  EXPECT_EQ(log->log_start_offset(), 6);
  EXPECT_EQ(log->log_end_offset(), 8);
  EXPECT_EQ(log->read(0, 100).status().code(), StatusCode::kOutOfRange);
}

TEST(LogTest, DeleteRecordsMovesTheLogStartDeletesSegmentsBelowItAndSurvivesAReopen) {
  TempDir dir;
  const TopicConfig config = with({{"segment.bytes", "100"}});
  {
    auto log = open_log(dir.path(), config);
    // Four segments of one two-record batch each: offsets 0-1, 2-3, 4-5, 6-7.
    for (int i = 0; i < 4; ++i) {
      ASSERT_EQ(log->append(make_batch(2, 100), kNow).error, AppendError::kNone);
    }
    ASSERT_EQ(log->segment_count(), 4u);
    auto start = log->delete_records_before(4);
    ASSERT_TRUE(start.ok()) << start.status().to_string();
    EXPECT_EQ(*start, 4);
    EXPECT_EQ(log->log_start_offset(), 4);
    EXPECT_EQ(log->segment_count(), 2u);  // 0-1 and 2-3 are wholly below 4
    EXPECT_EQ(log->read(3, 1000).status().code(), StatusCode::kOutOfRange);
    EXPECT_EQ(offsets_in(*log), range(4, 8));
    // Inside a segment: the segment stays, its first batch can no longer be asked for.
    ASSERT_EQ(*log->delete_records_before(6), 6);
    EXPECT_EQ(log->log_start_offset(), 6);
    EXPECT_EQ(log->read(5, 1000).status().code(), StatusCode::kOutOfRange);
    // Below the start: nothing moves. Past the end: refused.
    EXPECT_EQ(*log->delete_records_before(2), 6);
    EXPECT_EQ(log->delete_records_before(9).status().code(), StatusCode::kOutOfRange);
    EXPECT_EQ(log->delete_records_before(-2).status().code(), StatusCode::kOutOfRange);
    EXPECT_EQ(log->log_start_offset(), 6);
    AppendResult after = log->append(make_batch(1), kNow);
    EXPECT_EQ(after.log_start_offset, 6);
  }
  auto log = open_log(dir.path(), config);
  EXPECT_EQ(log->log_start_offset(), 6);
  EXPECT_EQ(log->log_end_offset(), 9);
  EXPECT_EQ(log->read(5, 100).status().code(), StatusCode::kOutOfRange);
  // -1: everything up to the high watermark.
  EXPECT_EQ(*log->delete_records_before(-1), 9);
  EXPECT_EQ(log->log_start_offset(), 9);
  EXPECT_EQ(log->read(9, 100).value().records.size(), 0u);
}

TEST(LogTest, ALogWhoseStartIsInsideItsOnlySegmentReopens) {
  // Reopening replays the last segments' batches (producer state) from the log start.
  TempDir dir;
  {
    auto log = open_log(dir.path());
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(log->append(make_batch(2), kNow).error, AppendError::kNone);
    ASSERT_EQ(*log->delete_records_before(2), 2);
  }
  auto log = open_log(dir.path());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->log_start_offset(), 2);
  EXPECT_EQ(offsets_in(*log), range(2, 6));
}

// Damages the index files of every segment but the last, then checks a reopened log reads
// every offset exactly as before.
void expect_reads_survive_index_damage(
    const std::function<void(const std::filesystem::path&)>& damage) {
  TempDir dir;
  // A dense index so that the files hold many entries to damage.
  const TopicConfig config = with({{"segment.bytes", "2000"}, {"index.interval.bytes", "1"}});
  std::vector<Bytes> reads;
  {
    auto log = open_log(dir.path(), config);
    for (int i = 0; i < 40; ++i) {
      ASSERT_EQ(log->append(make_batch(2, 60, 1000 + i), kNow).error, AppendError::kNone);
    }
    ASSERT_GE(log->segment_count(), 3u);
    for (int64_t offset = 0; offset < 80; ++offset) reads.push_back(log->read(offset, 1)->records);
  }
  auto indexes = files_ending(dir.path(), "index");  // .index and .timeindex
  ASSERT_GE(indexes.size(), 6u);
  for (const auto& path : indexes) {
    if (path.filename().string().starts_with("00000000000000000000")) damage(path);
  }
  auto log = open_log(dir.path(), config);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->log_end_offset(), 80);
  for (int64_t offset = 0; offset < 80; ++offset) {
    auto read = log->read(offset, 1);
    ASSERT_TRUE(read.ok()) << read.status().to_string();
    EXPECT_EQ(read->records, reads[static_cast<size_t>(offset)]) << "offset " << offset;
  }
  auto found = log->offset_for_timestamp(1005);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->first, 10);
  EXPECT_EQ(log->append(make_batch(1), kNow).base_offset, 80);
}

TEST(LogTest, ReadsStayCorrectWhenAnOlderSegmentsIndexFilesAreDeleted) {
  expect_reads_survive_index_damage(
      [](const std::filesystem::path& path) { std::filesystem::remove(path); });
}

TEST(LogTest, ReadsStayCorrectWhenAnOlderSegmentsIndexFilesAreGarbage) {
  expect_reads_survive_index_damage([](const std::filesystem::path& path) {
    const auto size = std::filesystem::file_size(path);
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    for (uint64_t i = 0; i < size; ++i) file.put(static_cast<char>(0xA5 ^ (i * 7)));
  });
}

TEST(LogTest, ReadsStayCorrectWhenAnOlderSegmentsIndexFilesAreTruncatedMidEntry) {
  expect_reads_survive_index_damage([](const std::filesystem::path& path) {
    std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2 + 3);
  });
}

// An offset index entry that is well-formed but points one byte past its batch. Before
// e7e6fb9 the index was trusted, Segment::read found no whole batch at the misaligned
// position and returned nothing, and Log::read moved on to the next segment: reading offset
// 2 returned the batch at offset 18, silently skipping 2..17.
TEST(LogTest, ReadsStayCorrectWhenOneOffsetIndexPositionIsOffByOne) {
  expect_reads_survive_index_damage([](const std::filesystem::path& path) {
    if (path.extension() != ".index") return;
    // The second entry's position (bytes 12..15), one byte further: still increasing and
    // inside the log, so the file looks well-formed.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    uint8_t position[4];
    file.seekg(12);
    file.read(reinterpret_cast<char*>(position), 4);
    store_big_endian<uint32_t>(position, load_big_endian<uint32_t>(position) + 1);
    file.seekp(12);
    file.write(reinterpret_cast<const char*>(position), 4);
  });
}

}  // namespace
}  // namespace runnel::broker
