// Transactions in one partition's log (KIP-98): transactional batches hold the last stable
// offset back until their marker, read_committed reads stop there and list aborted ranges,
// the aborted-transactions index survives a restart, and compaction removes aborted records.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/storage/log.h"
#include "broker/storage/record_batch.h"
#include "broker/storage/record_batch_builder.h"
#include "broker/storage/transaction_index.h"
#include "storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::batches_in;
using testing::read_all;
using testing::TempDir;

constexpr int64_t kNow = 1'000'000;

// A transactional batch of producer `id` at `epoch`, `records` records from `sequence`, with
// keys key-<first_key>... and values `value`.
Bytes txn_batch(int64_t id, int16_t epoch, int32_t sequence, int records,
                const std::string& value = "v", int first_key = 0, bool transactional = true) {
  RecordBatchBuilder builder(kNow);
  builder.set_producer(id, epoch, sequence, transactional);
  for (int i = 0; i < records; ++i) {
    builder.add(Bytes::from_string("key-" + std::to_string(first_key + i)),
                Bytes::from_string(value), kNow, Headers());
  }
  return builder.build();
}

std::unique_ptr<Log> open_log(const std::filesystem::path& dir, TopicConfig config = {}) {
  auto log = Log::open(dir, std::move(config), kNow);
  EXPECT_TRUE(log.ok()) << log.status().to_string();
  return std::move(*log);
}

int64_t append_ok(Log& log, const Bytes& batch, AppendOrigin origin = AppendOrigin::kClient) {
  const AppendResult result = log.append(batch.view(), kNow, origin);
  EXPECT_EQ(result.error, AppendError::kNone) << result.message;
  return result.base_offset;
}

int64_t marker_ok(Log& log, int64_t id, int16_t epoch, ControlType type) {
  auto offset = log.append_transaction_marker(id, epoch, type, /*coordinator_epoch=*/0, kNow);
  EXPECT_TRUE(offset.ok()) << offset.status().to_string();
  return offset.ok() ? *offset : -1;
}

TEST(LogTransactionsTest, AnOpenTransactionHoldsTheLastStableOffsetAtItsFirstRecord) {
  TempDir dir;
  auto log = open_log(dir.path());
  append_ok(*log, testing::make_batch(2));  // 0-1, not transactional
  EXPECT_EQ(log->last_stable_offset(), 2);
  append_ok(*log, txn_batch(7, 0, 0, 3));   // 2-4
  append_ok(*log, testing::make_batch(1));  // 5
  EXPECT_EQ(log->log_end_offset(), 6);
  EXPECT_EQ(log->last_stable_offset(), 2);
  EXPECT_EQ(marker_ok(*log, 7, 0, ControlType::kCommit), 6);
  EXPECT_EQ(log->last_stable_offset(), 7);
}

TEST(LogTransactionsTest, TheOldestOfSeveralOpenTransactionsDecidesTheLastStableOffset) {
  TempDir dir;
  auto log = open_log(dir.path());
  append_ok(*log, txn_batch(1, 0, 0, 2));  // 0-1
  append_ok(*log, txn_batch(2, 0, 0, 2));  // 2-3
  EXPECT_EQ(log->last_stable_offset(), 0);
  marker_ok(*log, 2, 0, ControlType::kCommit);  // 4
  EXPECT_EQ(log->last_stable_offset(), 0);
  marker_ok(*log, 1, 0, ControlType::kAbort);  // 5
  EXPECT_EQ(log->last_stable_offset(), 6);
}

TEST(LogTransactionsTest, ReadCommittedStopsAtTheLastStableOffset) {
  TempDir dir;
  auto log = open_log(dir.path());
  append_ok(*log, testing::make_batch(2));  // 0-1
  append_ok(*log, txn_batch(7, 0, 0, 3));   // 2-4, open
  auto committed = log->read(0, 1 << 20, IsolationLevel::kReadCommitted);
  ASSERT_TRUE(committed.ok());
  const auto headers = batches_in(committed->records);
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0].last_offset(), 1);
  EXPECT_EQ(committed->last_stable_offset, 2);
  EXPECT_EQ(committed->high_watermark, 5);

  auto at_lso = log->read(2, 1 << 20, IsolationLevel::kReadCommitted);
  ASSERT_TRUE(at_lso.ok());
  EXPECT_TRUE(at_lso->records.empty());
  auto uncommitted = log->read(2, 1 << 20);
  ASSERT_TRUE(uncommitted.ok());
  EXPECT_EQ(batches_in(uncommitted->records).size(), 1u);
}

TEST(LogTransactionsTest, ReadCommittedListsTheAbortedTransactionsInRange) {
  TempDir dir;
  auto log = open_log(dir.path());
  append_ok(*log, txn_batch(7, 0, 0, 3));  // 0-2
  append_ok(*log, txn_batch(8, 0, 0, 1));  // 3
  EXPECT_EQ(marker_ok(*log, 7, 0, ControlType::kAbort), 4);
  EXPECT_EQ(marker_ok(*log, 8, 0, ControlType::kCommit), 5);
  append_ok(*log, txn_batch(7, 0, 3, 2));  // 6-7: the same producer's next transaction
  EXPECT_EQ(marker_ok(*log, 7, 0, ControlType::kAbort), 8);

  auto read = log->read(0, 1 << 20, IsolationLevel::kReadCommitted);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(batches_in(read->records).back().last_offset(), 8);
  ASSERT_EQ(read->aborted.size(), 2u);
  EXPECT_EQ(read->aborted[0],
            (AbortedTransaction{
                .producer_id = 7, .first_offset = 0, .last_offset = 4, .last_stable_offset = 3}));
  EXPECT_EQ(read->aborted[1].first_offset, 6);
  EXPECT_EQ(read->aborted[1].last_offset, 8);

  // From past the first abort's marker only the second is listed.
  auto later = log->read(5, 1 << 20, IsolationLevel::kReadCommitted);
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->aborted.size(), 1u);
  EXPECT_EQ(later->aborted[0].first_offset, 6);
  // read_uncommitted lists none.
  auto uncommitted = log->read(0, 1 << 20);
  ASSERT_TRUE(uncommitted.ok());
  EXPECT_TRUE(uncommitted->aborted.empty());
}

TEST(LogTransactionsTest, AMarkerIsAControlBatchThatParsesBack) {
  TempDir dir;
  auto log = open_log(dir.path());
  append_ok(*log, txn_batch(7, 3, 0, 1));
  marker_ok(*log, 7, 3, ControlType::kCommit);
  const Bytes all = read_all(*log);
  const auto headers = batches_in(all);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_TRUE(headers[1].is_control());
  EXPECT_TRUE(headers[1].is_transactional());
  EXPECT_EQ(headers[1].producer_id, 7);
  EXPECT_EQ(headers[1].producer_epoch, 3);
  EXPECT_EQ(record_batch_crc(all.view().subview(headers[0].total_size())), headers[1].crc);
  auto marker = parse_transaction_marker(all.view().subview(headers[0].total_size()));
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->type, ControlType::kCommit);
  EXPECT_FALSE(parse_transaction_marker(all.view()).has_value());
}

TEST(LogTransactionsTest, AMarkerFromAnOlderEpochIsRefusedAsFenced) {
  TempDir dir;
  auto log = open_log(dir.path());
  append_ok(*log, txn_batch(7, 2, 0, 1));
  auto stale = log->append_transaction_marker(7, 1, ControlType::kCommit, 0, kNow);
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted);
  EXPECT_EQ(log->last_stable_offset(), 0);
}

TEST(LogTransactionsTest, AnEpochBumpingAbortFencesTheOldEpochsBatches) {
  TempDir dir;
  auto log = open_log(dir.path());
  append_ok(*log, txn_batch(7, 0, 0, 1));
  marker_ok(*log, 7, 1, ControlType::kAbort);  // the coordinator aborted with a bumped epoch
  const AppendResult zombie = log->append(txn_batch(7, 0, 1, 1).view(), kNow);
  EXPECT_EQ(zombie.error, AppendError::kInvalidProducerEpoch);
  // The new epoch starts its sequences again.
  append_ok(*log, txn_batch(7, 1, 0, 1));
}

TEST(LogTransactionsTest, TheSameProducersNextTransactionContinuesItsSequence) {
  TempDir dir;
  auto log = open_log(dir.path());
  append_ok(*log, txn_batch(7, 0, 0, 2));
  marker_ok(*log, 7, 0, ControlType::kCommit);
  append_ok(*log, txn_batch(7, 0, 2, 2));
  const AppendResult gap = log->append(txn_batch(7, 0, 9, 1).view(), kNow);
  EXPECT_EQ(gap.error, AppendError::kOutOfOrderSequenceNumber);
}

TEST(LogTransactionsTest, TheCoordinatorsUnsequencedBatchesAreCheckedForTheirEpochOnly) {
  TempDir dir;
  auto log = open_log(dir.path());
  append_ok(*log, txn_batch(7, 2, -1, 1), AppendOrigin::kCoordinator);
  append_ok(*log, txn_batch(7, 2, -1, 1), AppendOrigin::kCoordinator);
  EXPECT_EQ(log->last_stable_offset(), 0);
  const AppendResult old =
      log->append(txn_batch(7, 1, -1, 1).view(), kNow, AppendOrigin::kCoordinator);
  EXPECT_EQ(old.error, AppendError::kInvalidProducerEpoch);
  marker_ok(*log, 7, 2, ControlType::kCommit);
  EXPECT_EQ(log->last_stable_offset(), 3);
}

TEST(LogTransactionsTest, OpenTransactionsAndAbortedRangesComeBackAfterARestart) {
  TempDir dir;
  {
    auto log = open_log(dir.path());
    append_ok(*log, txn_batch(7, 0, 0, 3));      // 0-2
    marker_ok(*log, 7, 0, ControlType::kAbort);  // 3
    append_ok(*log, txn_batch(8, 0, 0, 1));      // 4, left open
    ASSERT_TRUE(log->flush().ok());
  }
  EXPECT_TRUE(std::filesystem::exists(TransactionIndex::path(dir.path(), 0)));
  auto log = open_log(dir.path());
  EXPECT_EQ(log->last_stable_offset(), 4);
  const auto aborted = log->aborted_transactions(0, 5);
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0].producer_id, 7);
  EXPECT_EQ(aborted[0].first_offset, 0);
  EXPECT_EQ(aborted[0].last_offset, 3);
  marker_ok(*log, 8, 0, ControlType::kCommit);
  EXPECT_EQ(log->last_stable_offset(), 6);
}

TEST(LogTransactionsTest, ALostIndexFileIsRebuiltFromTheMarkersInTheLastSegments) {
  TempDir dir;
  {
    auto log = open_log(dir.path());
    append_ok(*log, txn_batch(7, 0, 0, 3));
    marker_ok(*log, 7, 0, ControlType::kAbort);
    ASSERT_TRUE(log->flush().ok());
  }
  std::filesystem::remove(TransactionIndex::path(dir.path(), 0));
  auto log = open_log(dir.path());
  const auto aborted = log->aborted_transactions(0, 4);
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0].last_offset, 3);
  EXPECT_TRUE(std::filesystem::exists(TransactionIndex::path(dir.path(), 0)));
}

TEST(LogTransactionsTest, AbortedRangesAcrossSegmentsAreFoundFromAnyFetchOffset) {
  TempDir dir;
  TopicConfig config;
  config.segment_bytes = 200;  // about one batch per segment
  auto log = open_log(dir.path(), config);
  append_ok(*log, txn_batch(7, 0, 0, 2, std::string(100, 'x')));  // 0-1
  append_ok(*log, txn_batch(7, 0, 2, 2, std::string(100, 'x')));  // 2-3
  const int64_t marker = marker_ok(*log, 7, 0, ControlType::kAbort);
  ASSERT_GE(log->segment_count(), 3u);
  auto read = log->read(2, 1 << 20, IsolationLevel::kReadCommitted);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->aborted.size(), 1u);
  EXPECT_EQ(read->aborted[0].first_offset, 0);
  EXPECT_EQ(read->aborted[0].last_offset, marker);
}

TopicConfig compacted() {
  TopicConfig config;
  config.cleanup_policy = "compact";
  config.segment_bytes = 400;
  config.delete_retention_ms = 0;
  config.min_cleanable_dirty_ratio = 0.0;
  return config;
}

// key -> value of every data record a read_committed consumer would keep.
std::map<std::string, std::string> committed_view(const Log& log) {
  std::map<std::string, std::string> latest;
  const auto read = log.read(log.log_start_offset(), 1 << 30, IsolationLevel::kReadCommitted);
  EXPECT_TRUE(read.ok());
  std::vector<AbortedTransaction> aborted = read->aborted;
  BytesView rest = read->records.view();
  while (rest.size() >= RecordBatchHeader::kSize) {
    const RecordBatchHeader header = RecordBatchHeader::parse(rest);
    const BytesView batch = rest.subview(0, header.total_size());
    rest = rest.subview(header.total_size());
    if (header.is_control()) continue;
    bool skip = false;
    for (const AbortedTransaction& a : aborted) {
      skip = skip || (header.is_transactional() && a.producer_id == header.producer_id &&
                      a.first_offset <= header.base_offset && header.base_offset < a.last_offset);
    }
    if (skip) continue;
    auto records = decode_uncompressed_batch(batch);
    EXPECT_TRUE(records.ok());
    for (const DecodedRecord& r : *records) latest[r.key->to_string()] = r.value->to_string();
  }
  return latest;
}

TEST(LogTransactionsTest, CompactionRemovesAbortedRecordsAndNeverLetsThemWinAKey) {
  TempDir dir;
  auto log = open_log(dir.path(), compacted());
  append_ok(*log, txn_batch(1, 0, 0, 4, "committed", 100));  // key-100..103
  marker_ok(*log, 1, 0, ControlType::kCommit);
  append_ok(*log, txn_batch(2, 0, 0, 4, "aborted", 100));  // the same keys, later
  marker_ok(*log, 2, 0, ControlType::kAbort);
  for (int i = 0; i < 6; ++i) append_ok(*log, testing::make_batch(1, 80));  // roll segments
  const auto before = committed_view(*log);
  auto cleaned = log->clean(kNow + 1, /*force=*/true);
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().to_string();
  EXPECT_TRUE(cleaned->cleaned);
  EXPECT_GE(cleaned->records_removed, 4);
  const auto after = committed_view(*log);
  EXPECT_EQ(after, before);
  EXPECT_EQ(after.at("key-101"), "committed");
  // No aborted record is left, even for a read_uncommitted reader.
  const Bytes all = read_all(*log);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(all.data()), all.size()).find("aborted"),
            std::string::npos);
}

TEST(LogTransactionsTest, CompactionLeavesSegmentsOfAnOpenTransactionAlone) {
  TempDir dir;
  auto log = open_log(dir.path(), compacted());
  append_ok(*log, txn_batch(2, 0, 0, 4, "open", 100));
  for (int i = 0; i < 6; ++i) append_ok(*log, testing::make_batch(1, 80));
  ASSERT_GE(log->segment_count(), 3u);
  const Bytes before = read_all(*log);
  auto cleaned = log->clean(kNow + 1, /*force=*/true);
  ASSERT_TRUE(cleaned.ok());
  EXPECT_EQ(read_all(*log), before);
  // Aborted later, its records go at the next cleaning.
  marker_ok(*log, 2, 0, ControlType::kAbort);
  for (int i = 0; i < 3; ++i) append_ok(*log, testing::make_batch(1, 80));
  cleaned = log->clean(kNow + 1, /*force=*/true);
  ASSERT_TRUE(cleaned.ok());
  const Bytes all = read_all(*log);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(all.data()), all.size()).find("open"),
            std::string::npos);
  EXPECT_EQ(log->last_stable_offset(), log->log_end_offset());
}

TEST(LogTransactionsTest, AfterCompactionAndARestartNoTransactionIsLeftOpen) {
  TempDir dir;
  {
    auto log = open_log(dir.path(), compacted());
    for (int t = 0; t < 5; ++t) {
      append_ok(*log, txn_batch(1, 0, t, 1, "v" + std::to_string(t), 100));  // key-100
      marker_ok(*log, 1, 0, ControlType::kCommit);
    }
    for (int i = 0; i < 6; ++i) append_ok(*log, testing::make_batch(1, 80));
    for (int round = 0; round < 2; ++round) ASSERT_TRUE(log->clean(kNow + 1, true).ok());
    EXPECT_EQ(committed_view(*log).at("key-100"), "v4");
    ASSERT_TRUE(log->flush().ok());
  }
  auto log = open_log(dir.path(), compacted());
  EXPECT_EQ(log->last_stable_offset(), log->log_end_offset());
  EXPECT_EQ(committed_view(*log).at("key-100"), "v4");
}

}  // namespace
}  // namespace runnel::broker
