// Log compaction checked against a model of the latest value per key.

#include "broker/storage/log_cleaner.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker/storage/compression.h"
#include "broker/storage/log.h"
#include "broker/storage/log_manager.h"
#include "broker/storage/record_batch_builder.h"
#include "core/clock.h"
#include "storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::batches_in;
using testing::read_all;
using testing::TempDir;

constexpr int64_t kNow = 1'000'000;
constexpr int64_t kTombstoneRetention = 10'000;

TopicConfig compacted_config() {
  TopicConfig config;
  config.cleanup_policy = "compact";
  config.segment_bytes = 2048;
  config.delete_retention_ms = kTombstoneRetention;
  config.min_cleanable_dirty_ratio = 0.5;
  config.index_interval_bytes = 256;
  return config;
}

std::unique_ptr<Log> open_log(const std::filesystem::path& dir,
                              TopicConfig config = compacted_config(), int64_t now = kNow) {
  auto log = Log::open(dir, std::move(config), now);
  EXPECT_TRUE(log.ok()) << log.status().to_string();
  return std::move(*log);
}

struct Stored {
  int64_t offset;
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// A compressed copy of an uncompressed batch, as a producer using `codec` sends it.
Bytes compress_batch(const Bytes& batch, Codec codec) {
  auto compressed = compress_records(codec, batch.view().subview(RecordBatchHeader::kSize));
  EXPECT_TRUE(compressed.ok());
  Bytes out(batch.view().subview(0, RecordBatchHeader::kSize));
  out.append(compressed->view());
  store_big_endian<int32_t>(out.data() + RecordBatchHeader::kBatchLengthAt,
                            static_cast<int32_t>(out.size() - RecordBatchHeader::kLogOverhead));
  store_big_endian<int16_t>(out.data() + RecordBatchHeader::kAttributesAt,
                            static_cast<int16_t>(codec));
  testing::reseal(out);
  return out;
}

// Every record of `blob`, decompressing compressed batches.
std::vector<Stored> decode_all(BytesView blob) {
  std::vector<Stored> out;
  size_t position = 0;
  for (const RecordBatchHeader& header : batches_in(blob)) {
    BytesView batch = blob.subview(position, header.total_size());
    position += header.total_size();
    Bytes plain(batch);
    const auto codec = static_cast<Codec>(header.attributes & RecordBatchHeader::kCompressionMask);
    if (codec != Codec::kNone) {
      auto records = decompress_records(codec, batch.subview(RecordBatchHeader::kSize), 1 << 26);
      EXPECT_TRUE(records.ok()) << records.status().to_string();
      plain = Bytes(batch.subview(0, RecordBatchHeader::kSize));
      plain.append(records->view());
      store_big_endian<int32_t>(
          plain.data() + RecordBatchHeader::kBatchLengthAt,
          static_cast<int32_t>(plain.size() - RecordBatchHeader::kLogOverhead));
      store_big_endian<int16_t>(plain.data() + RecordBatchHeader::kAttributesAt, 0);
      testing::reseal(plain);
    }
    auto records = decode_uncompressed_batch(plain.view());
    EXPECT_TRUE(records.ok()) << records.status().to_string();
    if (!records.ok()) continue;
    for (DecodedRecord& record : *records) {
      Stored stored{record.offset, std::nullopt, std::nullopt};
      if (record.key) stored.key = record.key->to_string();
      if (record.value) stored.value = record.value->to_string();
      out.push_back(std::move(stored));
    }
  }
  return out;
}

// A random workload over a small key space: updates and tombstones, appended in batches of
// one to five records, compressed with `codec`. Tracks the latest value per key.
class Workload {
 public:
  explicit Workload(uint32_t seed, Codec codec = Codec::kNone) : random_(seed), codec_(codec) {}

  void append(Log& log, int batches, int64_t now = kNow) {
    for (int b = 0; b < batches; ++b) {
      RecordBatchBuilder builder(now);
      const int count = 1 + static_cast<int>(random_() % 5);
      std::vector<std::pair<std::string, std::optional<std::string>>> added;
      for (int i = 0; i < count; ++i) {
        std::string key = "k" + std::to_string(random_() % 40);
        std::optional<std::string> value;
        if (random_() % 5 != 0) value = "v" + std::to_string(serial_++);
        builder.add(Bytes::from_string(key),
                    value ? NullableBytes(Bytes::from_string(*value)) : NullableBytes(), now,
                    Headers());
        added.emplace_back(std::move(key), std::move(value));
      }
      Bytes batch = builder.build();
      if (codec_ != Codec::kNone) batch = compress_batch(batch, codec_);
      AppendResult result = log.append(batch.view(), now);
      ASSERT_EQ(result.error, AppendError::kNone) << result.message;
      for (size_t i = 0; i < added.size(); ++i) {
        latest_[added[i].first] = {result.base_offset + static_cast<int64_t>(i), added[i].second};
      }
    }
  }

  const std::map<std::string, std::pair<int64_t, std::optional<std::string>>>& latest() const {
    return latest_;
  }

 private:
  std::mt19937 random_;
  Codec codec_;
  uint64_t serial_ = 0;
  std::map<std::string, std::pair<int64_t, std::optional<std::string>>> latest_;
};

// The latest record per key as a reader of the whole log sees it.
std::map<std::string, std::pair<int64_t, std::optional<std::string>>> latest_in(
    const std::vector<Stored>& records) {
  std::map<std::string, std::pair<int64_t, std::optional<std::string>>> latest;
  for (const Stored& record : records) {
    if (record.key) latest[*record.key] = {record.offset, record.value};
  }
  return latest;
}

void expect_increasing_offsets(const std::vector<Stored>& records) {
  for (size_t i = 1; i < records.size(); ++i) {
    ASSERT_LT(records[i - 1].offset, records[i].offset) << "at record " << i;
  }
}

// No key appears twice below `end` (the cleaned part of the log).
void expect_one_record_per_key_below(const std::vector<Stored>& records, int64_t end) {
  std::map<std::string, int> seen;
  for (const Stored& record : records) {
    if (record.offset < end && record.key) {
      EXPECT_EQ(++seen[*record.key], 1) << *record.key;
    }
  }
}

TEST(LogCleanerTest, AFullReadAfterCleaningEqualsTheModelsLatestValuePerKey) {
  TempDir dir;
  auto log = open_log(dir.path());
  Workload workload(7);
  workload.append(*log, 400);
  const int64_t end = log->log_end_offset();
  const uint64_t before = log->size_bytes();

  auto stats = log->clean(kNow + 1);
  ASSERT_TRUE(stats.ok()) << stats.status().to_string();
  EXPECT_TRUE(stats->cleaned);
  EXPECT_GT(stats->records_removed, 0);
  EXPECT_LT(log->size_bytes(), before);
  EXPECT_EQ(log->log_end_offset(), end);

  const std::vector<Stored> records = decode_all(read_all(*log).view());
  expect_increasing_offsets(records);
  EXPECT_EQ(latest_in(records), workload.latest());  // tombstones are still there
  expect_one_record_per_key_below(records, stats->cleaned_up_to);
}

TEST(LogCleanerTest, TombstonesGoOnlyAfterDeleteRetentionMs) {
  TempDir dir;
  auto log = open_log(dir.path());
  Workload workload(11);
  workload.append(*log, 400);
  ASSERT_TRUE(log->clean(kNow + kTombstoneRetention - 1).ok());
  auto kept = latest_in(decode_all(read_all(*log).view()));
  EXPECT_EQ(kept, workload.latest());

  auto stats = log->clean(kNow + kTombstoneRetention, /*force=*/true);
  ASSERT_TRUE(stats.ok());
  EXPECT_GT(stats->tombstones_removed, 0);
  const std::vector<Stored> records = decode_all(read_all(*log).view());
  expect_increasing_offsets(records);
  for (const Stored& record : records) {
    if (record.offset < stats->cleaned_up_to) {
      EXPECT_TRUE(record.value.has_value());
    }
  }
  // What a reader from the start sees: the model, minus keys whose latest record is a
  // tombstone below the cleaned-up-to offset.
  auto expected = workload.latest();
  std::erase_if(expected, [&](const auto& entry) {
    return !entry.second.second && entry.second.first < stats->cleaned_up_to;
  });
  EXPECT_EQ(latest_in(records), expected);
}

TEST(LogCleanerTest, NeverCleansTheActiveSegment) {
  TempDir dir;
  TopicConfig config = compacted_config();
  config.segment_bytes = 1 << 20;  // everything stays in the active segment
  auto log = open_log(dir.path(), config);
  Workload workload(3);
  workload.append(*log, 100);
  const Bytes before = read_all(*log);
  auto stats = log->clean(kNow + kTombstoneRetention, true);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(read_all(*log), before);
}

TEST(LogCleanerTest, RespectsMinCleanableDirtyRatio) {
  TempDir dir;
  auto log = open_log(dir.path());
  Workload workload(5);
  workload.append(*log, 300);
  auto first = log->clean(kNow);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->cleaned);
  // A little more: one new segment at most, below half of the cleanable bytes.
  const size_t segments = log->segment_count();
  while (log->segment_count() < segments + 1) workload.append(*log, 1);
  auto second = log->clean(kNow);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->cleaned);
  // Much more: dirty again.
  workload.append(*log, 600);
  auto third = log->clean(kNow);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->cleaned);
}

TEST(LogCleanerTest, LeavesTopicsWithoutCompactAlone) {
  TempDir dir;
  TopicConfig config = compacted_config();
  config.cleanup_policy = "delete";
  config.retention_ms = -1;
  auto log = open_log(dir.path(), config);
  Workload workload(9);
  workload.append(*log, 200);
  const Bytes before = read_all(*log);
  auto stats = log->clean(kNow, true);
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->cleaned);
  EXPECT_EQ(read_all(*log), before);
}

TEST(LogCleanerTest, RetentionDoesNotDeleteSegmentsOfACompactOnlyTopic) {
  TempDir dir;
  TopicConfig config = compacted_config();
  config.retention_ms = 1;
  auto log = open_log(dir.path(), config);
  Workload workload(9);
  workload.append(*log, 200);
  const size_t segments = log->segment_count();
  auto deleted = log->enforce_retention(kNow + 1'000'000);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0);
  EXPECT_EQ(log->segment_count(), segments);
}

TEST(LogCleanerTest, KeepsRecordsWithoutKeysAndTheirOffsets) {
  TempDir dir;
  auto log = open_log(dir.path());
  for (int i = 0; i < 200; ++i) {
    RecordBatchBuilder builder(kNow);
    builder.add(i % 2 == 0 ? NullableBytes() : NullableBytes(Bytes::from_string("same")),
                Bytes::from_string("value-" + std::to_string(i)), kNow, Headers());
    ASSERT_EQ(log->append(builder.build().view(), kNow).error, AppendError::kNone);
  }
  ASSERT_TRUE(log->clean(kNow, true).ok());
  const std::vector<Stored> records = decode_all(read_all(*log).view());
  int keyless = 0;
  for (const Stored& record : records) {
    if (!record.key) {
      ++keyless;
      EXPECT_EQ(record.offset % 2, 0);
      EXPECT_EQ(*record.value, "value-" + std::to_string(record.offset));
    }
  }
  EXPECT_EQ(keyless, 100);
}

TEST(LogCleanerTest, EachSegmentStillEndsAtItsOffsetAndProducerStateSurvives) {
  TempDir dir;
  auto log = open_log(dir.path());
  // One key only: every batch but the newest is superseded entirely.
  for (int i = 0; i < 200; ++i) {
    RecordBatchBuilder builder(kNow);
    builder.add(Bytes::from_string("k"), Bytes::from_string(std::to_string(i)), kNow, Headers());
    builder.add(Bytes::from_string("k"), Bytes::from_string(std::to_string(i)), kNow, Headers());
    ASSERT_EQ(log->append(builder.build().view(), kNow).error, AppendError::kNone);
  }
  const int64_t end = log->log_end_offset();
  ASSERT_TRUE(log->clean(kNow, true).ok());
  // Every offset can still be read from: reads land on the next batch that remains, and
  // each remaining batch keeps its offset span.
  for (int64_t offset = 0; offset < end; offset += 7) {
    auto read = log->read(offset, 1 << 20);
    ASSERT_TRUE(read.ok()) << read.status().to_string();
    ASSERT_FALSE(read->records.empty());
    const auto headers = batches_in(read->records.view());
    ASSERT_FALSE(headers.empty());
    EXPECT_GE(headers.front().last_offset(), offset);
    // An emptied batch at a segment's end never comes alone: records follow it.
    EXPECT_TRUE(std::any_of(headers.begin(), headers.end(),
                            [](const RecordBatchHeader& h) { return h.record_count > 0; }));
    for (const auto& header : headers) EXPECT_EQ(header.last_offset_delta, 1);
  }
  EXPECT_EQ(log->log_end_offset(), end);
}

TEST(LogCleanerTest, AReopenedLogHasTheCleanedSegments) {
  TempDir dir;
  Workload workload(13);
  Bytes cleaned;
  int64_t end = 0;
  {
    auto log = open_log(dir.path());
    workload.append(*log, 400);
    ASSERT_TRUE(log->clean(kNow).ok());
    cleaned = read_all(*log);
    end = log->log_end_offset();
  }
  auto log = open_log(dir.path());
  EXPECT_EQ(read_all(*log), cleaned);
  EXPECT_EQ(log->log_end_offset(), end);
  // Appends carry on after the reopen, and a second cleaning still matches the model.
  workload.append(*log, 100);
  ASSERT_TRUE(log->clean(kNow, true).ok());
  EXPECT_EQ(latest_in(decode_all(read_all(*log).view())), workload.latest());
}

TEST(LogCleanerTest, ReadersAndWritersDuringCleaningSeeAValidLog) {
  TempDir dir;
  auto log = open_log(dir.path());
  Workload workload(17);
  workload.append(*log, 400);
  std::atomic<bool> done{false};
  std::atomic<int64_t> reads{0};
  std::string failure;
  std::thread reader([&] {
    while (!done.load() || reads.load() < 10) {
      // A consumer walking the log from the start, batch by batch.
      int64_t offset = 0;
      int64_t last_seen = -1;
      while (offset < log->log_end_offset()) {
        auto read = log->read(offset, 512);
        if (!read.ok()) {
          failure = read.status().to_string();
          return;
        }
        if (read->records.empty()) break;
        BytesView rest = read->records.view();
        while (rest.size() >= RecordBatchHeader::kSize) {
          auto header = check_stored_batch(rest);
          if (!header.ok()) {
            failure = header.status().to_string();
            return;
          }
          if (header->base_offset <= last_seen || header->last_offset() < offset) {
            failure = "offsets went backwards";
            return;
          }
          last_seen = header->last_offset();
          offset = last_seen + 1;
          rest = rest.subview(header->total_size());
        }
      }
      ++reads;
    }
  });
  Workload writer_workload(19);
  for (int round = 0; round < 5; ++round) {
    auto stats = log->clean(kNow, true);
    ASSERT_TRUE(stats.ok()) << stats.status().to_string();
    writer_workload.append(*log, 20);
  }
  done = true;
  reader.join();
  EXPECT_EQ(failure, "");
}

TEST(LogCleanerTest, ASegmentRetentionDeletesWhileItIsBeingCleanedIsNotBroughtBack) {
  TempDir dir;
  TopicConfig config = compacted_config();
  config.cleanup_policy = "compact,delete";
  config.retention_bytes = 1;  // retention deletes every segment but the active one
  auto log = open_log(dir.path(), config);
  Workload workload(37);
  workload.append(*log, 400);
  Log* raw = log.get();
  int deleted = 0;
  log->TEST_set_cleaner_hook([&](CleanerStep step) {
    if (step == CleanerStep::kCleanedWritten && deleted == 0) {
      auto result = raw->enforce_retention(kNow);
      if (!result.ok()) return result.status();
      deleted = *result;
    }
    return ok_status();
  });
  auto stats = log->clean(kNow, true);
  ASSERT_TRUE(stats.ok()) << stats.status().to_string();
  EXPECT_GT(deleted, 0);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "cleaning"));
  const std::vector<Stored> records = decode_all(read_all(*log).view());
  expect_increasing_offsets(records);
  for (const Stored& record : records) EXPECT_GE(record.offset, log->log_start_offset());
}

class LogCleanerCrashTest : public ::testing::TestWithParam<CleanerStep> {};

TEST_P(LogCleanerCrashTest, ACrashDuringTheSwapLeavesTheOldOrTheNewSegment) {
  TempDir dir;
  Workload workload(23);
  Bytes before;
  {
    auto log = open_log(dir.path());
    workload.append(*log, 400);
    before = read_all(*log);
    log->TEST_set_cleaner_hook([crash_at = GetParam()](CleanerStep step) {
      return step == crash_at ? io_error("simulated crash") : ok_status();
    });
    EXPECT_FALSE(log->clean(kNow, true).ok());
  }
  // A reference: the same log cleaned without a crash.
  TempDir reference_dir;
  Bytes fully_cleaned;
  {
    auto reference = open_log(reference_dir.path());
    Workload same(23);
    same.append(*reference, 400);
    ASSERT_TRUE(reference->clean(kNow, true).ok());
    fully_cleaned = read_all(*reference);
  }

  auto log = open_log(dir.path());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "cleaning"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "cleaned"));
  const Bytes after = read_all(*log);
  const std::vector<Stored> records = decode_all(after.view());
  expect_increasing_offsets(records);
  EXPECT_EQ(latest_in(records), workload.latest());
  if (GetParam() == CleanerStep::kCleanedWritten) {
    EXPECT_EQ(after, before);  // not committed: the old segment stays
  } else {
    EXPECT_LT(after.size(), before.size());  // committed: the first segment is the new one
  }
  // Cleaning again gives exactly what an uninterrupted cleaning gives.
  ASSERT_TRUE(log->clean(kNow, true).ok());
  EXPECT_EQ(read_all(*log), fully_cleaned);
}

INSTANTIATE_TEST_SUITE_P(EverySwapStep, LogCleanerCrashTest,
                         ::testing::Values(CleanerStep::kCleanedWritten,
                                           CleanerStep::kSwapCommitted,
                                           CleanerStep::kIndexesSwapped, CleanerStep::kLogSwapped));

class LogCleanerCodecTest : public ::testing::TestWithParam<Codec> {};

TEST_P(LogCleanerCodecTest, CleansCompressedBatchesAndWritesSurvivorsUncompressed) {
  TempDir dir;
  auto log = open_log(dir.path());
  Workload workload(29, GetParam());
  workload.append(*log, 400);
  auto stats = log->clean(kNow, true);
  ASSERT_TRUE(stats.ok()) << stats.status().to_string();
  EXPECT_GT(stats->records_removed, 0);
  const Bytes all = read_all(*log);
  const std::vector<Stored> records = decode_all(all.view());
  expect_increasing_offsets(records);
  EXPECT_EQ(latest_in(records), workload.latest());
  expect_one_record_per_key_below(records, stats->cleaned_up_to);
}

TEST_P(LogCleanerCodecTest, ACompressedBatchWhoseRecordsAllSurviveStaysAsItWas) {
  RecordBatchBuilder builder(kNow);
  builder.add(Bytes::from_string("a"), Bytes::from_string("1"), kNow, Headers());
  builder.add(Bytes::from_string("b"), Bytes::from_string("2"), kNow, Headers());
  const Bytes batch = compress_batch(builder.build(), GetParam());
  auto filtered = filter_batch(
      batch.view(), [](const RecordView&) { return true; }, false);
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(filtered->kind, FilteredBatch::Kind::kUnchanged);
}

INSTANTIATE_TEST_SUITE_P(EveryCodec, LogCleanerCodecTest,
                         ::testing::Values(Codec::kGzip, Codec::kSnappy, Codec::kLz4,
                                           Codec::kZstd));

TEST(LogCleanerFilterTest, KeepsControlBatchesWhole) {
  RecordBatchBuilder builder(kNow);
  builder.add(Bytes::from_string("a"), Bytes::from_string("1"), kNow, Headers());
  Bytes batch = builder.build();
  store_big_endian<int16_t>(
      batch.data() + RecordBatchHeader::kAttributesAt,
      RecordBatchHeader::kControlFlag | RecordBatchHeader::kTransactionalFlag);
  testing::reseal(batch);
  auto filtered = filter_batch(
      batch.view(), [](const RecordView&) { return false; }, false);
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(filtered->kind, FilteredBatch::Kind::kUnchanged);
}

TEST(LogCleanerFilterTest, ARewrittenBatchKeepsItsOffsetsAndAValidCrc) {
  RecordBatchBuilder builder(kNow);
  for (int i = 0; i < 5; ++i) {
    builder.add(Bytes::from_string("k" + std::to_string(i)), Bytes::from_string("v"), kNow + i,
                Headers());
  }
  Bytes batch = builder.build();
  store_big_endian<int64_t>(batch.data(), 100);
  auto filtered = filter_batch(
      batch.view(), [](const RecordView& record) { return record.offset % 2 == 1; }, false);
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->kind, FilteredBatch::Kind::kRewritten);
  EXPECT_EQ(filtered->records_removed, 3);
  auto header = check_stored_batch(filtered->rewritten.view());
  ASSERT_TRUE(header.ok()) << header.status().to_string();
  EXPECT_EQ(header->base_offset, 100);
  EXPECT_EQ(header->last_offset_delta, 4);
  EXPECT_EQ(header->record_count, 2);
  auto records = decode_uncompressed_batch(filtered->rewritten.view());
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].offset, 101);
  EXPECT_EQ((*records)[0].timestamp_ms, kNow + 1);
  EXPECT_EQ((*records)[1].offset, 103);
  EXPECT_EQ((*records)[1].key->to_string(), "k3");
}

TEST(LogCleanerFilterTest, AnEmptiedLastBatchStaysEmptyAndOtherwiseGoes) {
  const Bytes batch = testing::make_batch(3);
  auto none = [](const RecordView&) { return false; };
  auto dropped = filter_batch(batch.view(), none, false);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped->kind, FilteredBatch::Kind::kDropped);
  auto kept = filter_batch(batch.view(), none, true);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->kind, FilteredBatch::Kind::kRewritten);
  auto header = check_stored_batch(kept->rewritten.view());
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->record_count, 0);
  EXPECT_EQ(header->last_offset_delta, 2);
}

TEST(LogCleanerFilterTest, AMalformedBatchIsACorruptionErrorNotACrash) {
  Bytes batch = testing::make_batch(3);
  batch.resize(batch.size() - 5);
  store_big_endian<int32_t>(batch.data() + RecordBatchHeader::kBatchLengthAt,
                            static_cast<int32_t>(batch.size() - RecordBatchHeader::kLogOverhead));
  auto filtered = filter_batch(
      batch.view(), [](const RecordView&) { return false; }, false);
  EXPECT_FALSE(filtered.ok());
}

TEST(LogCleanerTest, MetricsAddUpTheCleanings) {
  TempDir dir;
  auto log = open_log(dir.path());
  Workload workload(31);
  workload.append(*log, 400);
  auto stats = log->clean(kNow, true);
  ASSERT_TRUE(stats.ok());
  const CleanerMetrics metrics = log->cleaner_metrics();
  EXPECT_EQ(metrics.cleanings, 1u);
  EXPECT_EQ(metrics.bytes_before, stats->bytes_before);
  EXPECT_EQ(metrics.bytes_after, stats->bytes_after);
  EXPECT_EQ(metrics.records_removed, static_cast<uint64_t>(stats->records_removed));
  EXPECT_GT(metrics.bytes_before, metrics.bytes_after);
}

TEST(LogCleanerTest, LogManagerCleansOnlyCompactedTopicsAndSumsTheirMetrics) {
  TempDir dir;
  ManualClock clock(kNow);
  auto manager = LogManager::open(dir.path() / "data", TopicConfig(), clock);
  ASSERT_TRUE(manager.ok()) << manager.status().to_string();
  const std::map<std::string, std::string> small = {{"segment.bytes", "2048"}};
  auto compacted = small;
  compacted["cleanup.policy"] = "compact";
  ASSERT_TRUE((*manager)->create_topic("changelog", 2, compacted, false).ok());
  ASSERT_TRUE((*manager)->create_topic("events", 1, small, false).ok());
  for (const auto& [topic, partition] :
       {std::pair{"changelog", 0}, std::pair{"changelog", 1}, std::pair{"events", 0}}) {
    Workload workload(41);
    workload.append(*(*manager)->log(topic, partition), 300);
  }
  const Bytes events_before = read_all(*(*manager)->log("events", 0));
  (*manager)->run_cleaner();
  const CleanerMetrics metrics = (*manager)->cleaner_metrics();
  EXPECT_EQ(metrics.cleanings, 2u);  // both changelog partitions, not events
  EXPECT_EQ(metrics.errors, 0u);
  EXPECT_GT(metrics.records_removed, 0u);
  EXPECT_EQ(read_all(*(*manager)->log("events", 0)), events_before);
  // The background thread starts and stops cleanly (stop wakes it up at once).
  (*manager)->start_cleaner(std::chrono::hours(1));
  (*manager)->stop_cleaner();
}

}  // namespace
}  // namespace runnel::broker
