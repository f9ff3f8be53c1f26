// The log through the FileSystem interface, with faults injected: a full disk, a short
// write, a failed fsync and a crash in the middle of a write never lose an acknowledged
// record and never leave a partial batch for a reader or a restart.

#include "broker/storage/file_system.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/storage/log.h"
#include "broker/storage/log_manager.h"
#include "broker/storage/record_batch.h"
#include "broker/storage/record_batch_builder.h"
#include "broker/storage/transaction_index.h"
#include "core/clock.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::make_batch;
using testing::offsets_in;
using testing::TempDir;

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> all;
  for (int64_t o = from; o < to; ++o) all.push_back(o);
  return all;
}

TopicConfig small_segments() { return *TopicConfig().with_overrides({{"segment.bytes", "600"}}); }

std::unique_ptr<Log> open_log(const std::filesystem::path& dir, FileSystem& fs,
                              TopicConfig config = small_segments()) {
  auto log = Log::open(dir, std::move(config), 0, LogOpenOptions{.file_system = &fs});
  EXPECT_TRUE(log.ok()) << log.status().to_string();
  return log.ok() ? std::move(*log) : nullptr;
}

TEST(FileSystemTest, WritesAreReadBackAndReplacedAtomically) {
  TempDir dir;
  FileSystem& fs = FileSystem::posix();
  const auto path = dir.path() / "file";
  ASSERT_TRUE(write_file_atomically(fs, path, std::string_view("first")).ok());
  ASSERT_TRUE(write_file_atomically(fs, path, std::string_view("second")).ok());
  auto read = read_whole_file(fs, path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->to_string(), "second");
  EXPECT_FALSE(fs.exists(dir.path() / "file.tmp"));
  EXPECT_EQ(read_whole_file(fs, dir.path() / "missing").status().code(), StatusCode::kNotFound);
}

TEST(FileSystemTest, ANoSpaceAppendFailsClearlyAndLosesNothingAcknowledged) {
  TempDir dir;
  FaultInjectingFileSystem fs;
  auto log = open_log(dir.path(), fs);
  ASSERT_TRUE(log);
  for (int i = 0; i < 6; ++i) ASSERT_EQ(log->append(make_batch(3), 0).error, AppendError::kNone);
  const uint64_t size = log->size_bytes();
  fs.set_no_space(true);
  const AppendResult refused = log->append(make_batch(3), 0);
  EXPECT_EQ(refused.error, AppendError::kKafkaStorageError);
  EXPECT_NE(refused.message.find("No space left on device"), std::string::npos) << refused.message;
  EXPECT_EQ(log->size_bytes(), size);
  EXPECT_EQ(offsets_in(*log), range(0, 18));
  fs.set_no_space(false);
  const AppendResult next = log->append(make_batch(3), 0);
  ASSERT_EQ(next.error, AppendError::kNone);
  EXPECT_EQ(next.base_offset, 18);
  log.reset();
  auto reopened = open_log(dir.path(), FileSystem::posix());
  EXPECT_EQ(offsets_in(*reopened), range(0, 21));
}

TEST(FileSystemTest, AShortWriteIsCutBackSoNoPartialBatchIsEverRead) {
  TempDir dir;
  FaultInjectingFileSystem fs;
  auto log = open_log(dir.path(), fs);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->append(make_batch(3), 0).error, AppendError::kNone);
  const uint64_t size = log->size_bytes();
  fs.short_write_next(40);
  EXPECT_EQ(log->append(make_batch(3), 0).error, AppendError::kKafkaStorageError);
  EXPECT_EQ(log->size_bytes(), size);
  EXPECT_EQ(std::filesystem::file_size(Segment::log_path(dir.path(), 0)), size);
  ASSERT_EQ(log->append(make_batch(3), 0).base_offset, 3);
  log.reset();
  EXPECT_EQ(offsets_in(*open_log(dir.path(), FileSystem::posix())), range(0, 6));
}

TEST(FileSystemTest, AFailedFsyncIsReportedAndTheRecoveryPointDoesNotMove) {
  TempDir dir;
  FaultInjectingFileSystem fs;
  TopicConfig config = small_segments();
  config.flush_messages = 1;
  auto log = open_log(dir.path(), fs, config);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->append(make_batch(3), 0).error, AppendError::kNone);
  EXPECT_EQ(log->recovery_point(), 3);
  fs.set_sync_fails(true);
  const AppendResult failed = log->append(make_batch(3), 0);
  EXPECT_EQ(failed.error, AppendError::kKafkaStorageError);
  EXPECT_NE(failed.message.find("EIO on fsync"), std::string::npos) << failed.message;
  EXPECT_EQ(log->recovery_point(), 3);
  EXPECT_FALSE(log->flush().ok());
  fs.set_sync_fails(false);
  EXPECT_TRUE(log->flush().ok());
  EXPECT_EQ(log->recovery_point(), 6);
}

// A crash every 7 bytes into a run of appends that rolls segments (segment and index writes
// both count): reopening keeps every acknowledged append, and of the one being written
// either nothing or all of it.
TEST(FileSystemTest, ATornWriteAtAnyCrashPointRecoversToTheAcknowledgedAppends) {
  constexpr int kAppends = 8;
  const uint64_t batch_size = make_batch(3).size();
  for (uint64_t crash_at = 0; crash_at < kAppends * batch_size; crash_at += 7) {
    SCOPED_TRACE("crash after byte " + std::to_string(crash_at));
    TempDir dir;
    int64_t acknowledged = 0;
    {
      FaultInjectingFileSystem fs;
      auto log = open_log(dir.path(), fs);
      ASSERT_TRUE(log);
      fs.crash_after_bytes(crash_at);
      for (int i = 0; i < kAppends && !fs.crashed(); ++i) {
        if (log->append(make_batch(3), 0).error == AppendError::kNone) acknowledged += 3;
      }
      ASSERT_TRUE(fs.crashed());
    }
    auto reopened = open_log(dir.path(), FileSystem::posix());
    ASSERT_TRUE(reopened);
    // The append the crash interrupted was not acknowledged: it is gone, or whole when only
    // its index entry was cut.
    const int64_t end = reopened->log_end_offset();
    EXPECT_TRUE(end == acknowledged || end == acknowledged + 3) << end;
    EXPECT_EQ(offsets_in(*reopened), range(0, end));
    EXPECT_EQ(reopened->append(make_batch(1), 0).base_offset, end);
  }
}

// --- Transaction indexes ---

constexpr int64_t kNow = 1'000'000;

Bytes transactional_batch(int64_t producer, int32_t sequence, int records) {
  RecordBatchBuilder builder(kNow);
  builder.set_producer(producer, 0, sequence, /*transactional=*/true);
  for (int i = 0; i < records; ++i) {
    builder.add(Bytes::from_string("key-" + std::to_string(i)), Bytes::from_string("v"), kNow,
                Headers());
  }
  return builder.build();
}

// Producer `producer` writes `records` records in a transaction and aborts it; returns the
// marker's offset.
int64_t abort_transaction(Log& log, int64_t producer, int records) {
  EXPECT_EQ(log.append(transactional_batch(producer, 0, records).view(), kNow).error,
            AppendError::kNone);
  auto marker = log.append_transaction_marker(producer, 0, ControlType::kAbort, 0, kNow);
  EXPECT_TRUE(marker.ok()) << marker.status().to_string();
  return marker.ok() ? *marker : -1;
}

std::vector<int64_t> aborted_producers(const Log& log) {
  std::vector<int64_t> producers;
  for (const AbortedTransaction& entry : log.aborted_transactions(0, log.log_end_offset())) {
    producers.push_back(entry.producer_id);
  }
  return producers;
}

// The index entry cannot be written (ENOSPC on the .txnindex only): the marker, already in
// the segment, stays acknowledged, read_committed still skips the aborted records, and a
// restart rebuilds the entry from the marker. Nothing acknowledged is lost.
TEST(FileSystemTest, ANoSpaceTransactionIndexAppendLosesNoAcknowledgedData) {
  TempDir dir;
  {
    FaultInjectingFileSystem fs;
    auto log = open_log(dir.path(), fs, TopicConfig());
    ASSERT_TRUE(log);
    ASSERT_EQ(log->append(make_batch(2), kNow).error, AppendError::kNone);  // 0-1
    fs.only_fault_files_ending_with(".txnindex");
    fs.set_no_space(true);
    EXPECT_EQ(abort_transaction(*log, 7, 3), 5);  // records 2-4, marker 5
    auto indexed = TransactionIndex::read(fs, TransactionIndex::path(dir.path(), 0));
    ASSERT_TRUE(indexed.ok());
    EXPECT_TRUE(indexed->empty());
    EXPECT_EQ(aborted_producers(*log), std::vector<int64_t>{7});
    // Other files are not full: appends go on.
    ASSERT_EQ(log->append(make_batch(1), kNow).error, AppendError::kNone);  // 6
    ASSERT_TRUE(log->flush().ok());
  }
  auto reopened = open_log(dir.path(), FileSystem::posix(), TopicConfig());
  ASSERT_TRUE(reopened);
  EXPECT_EQ(offsets_in(*reopened), range(0, 7));
  EXPECT_EQ(aborted_producers(*reopened), std::vector<int64_t>{7});
  auto entries = TransactionIndex::read(FileSystem::posix(), TransactionIndex::path(dir.path(), 0));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].last_offset, 5);
}

// A short write of an index entry is cut back to the whole entries, so the next abort's entry
// is not misaligned behind a torn one: both are read back after a restart.
TEST(FileSystemTest, AShortTransactionIndexWriteLeavesOnlyWholeEntries) {
  TempDir dir;
  const auto index = TransactionIndex::path(dir.path(), 0);
  {
    FaultInjectingFileSystem fs;
    auto log = open_log(dir.path(), fs, TopicConfig());
    ASSERT_TRUE(log);
    EXPECT_EQ(abort_transaction(*log, 7, 2), 2);
    fs.only_fault_files_ending_with(".txnindex");
    fs.short_write_next(10);
    EXPECT_EQ(abort_transaction(*log, 8, 2), 5);
    auto contents = read_whole_file(fs, index);
    ASSERT_TRUE(contents.ok());
    EXPECT_EQ(contents->size(), TransactionIndex::kEntrySize);  // the torn entry was cut off
    EXPECT_EQ(abort_transaction(*log, 9, 2), 8);
    EXPECT_EQ(aborted_producers(*log), (std::vector<int64_t>{7, 8, 9}));
    ASSERT_TRUE(log->flush().ok());
  }
  auto entries = TransactionIndex::read(FileSystem::posix(), index);
  ASSERT_TRUE(entries.ok()) << entries.status().to_string();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].producer_id, 7);
  EXPECT_EQ((*entries)[1].producer_id, 9);
  auto reopened = open_log(dir.path(), FileSystem::posix(), TopicConfig());
  ASSERT_TRUE(reopened);
  EXPECT_EQ(offsets_in(*reopened), range(0, 9));
  // Producer 8's entry is rebuilt from its marker in the last segment.
  EXPECT_EQ(aborted_producers(*reopened), (std::vector<int64_t>{7, 8, 9}));
}

// fsync fails (EIO) while an abort is recorded: the index entry has no fsync of its own (it is
// as durable as its marker), so the abort is acknowledged; the flush that follows reports the
// EIO and the recovery point stays. Once the disk recovers, every record and the abort are
// there after a restart.
TEST(FileSystemTest, AFailedFsyncAroundATransactionIndexEntryIsReportedAndLosesNothing) {
  TempDir dir;
  {
    FaultInjectingFileSystem fs;
    auto log = open_log(dir.path(), fs, TopicConfig());
    ASSERT_TRUE(log);
    ASSERT_EQ(log->append(make_batch(2), kNow).error, AppendError::kNone);  // 0-1
    ASSERT_TRUE(log->flush().ok());
    fs.set_sync_fails(true);
    EXPECT_EQ(abort_transaction(*log, 7, 3), 5);
    const Status flushed = log->flush();
    EXPECT_EQ(flushed.code(), StatusCode::kIoError);
    EXPECT_NE(flushed.to_string().find("EIO"), std::string::npos) << flushed.to_string();
    EXPECT_EQ(log->recovery_point(), 2);
    fs.set_sync_fails(false);
    ASSERT_TRUE(log->flush().ok());
    EXPECT_EQ(log->recovery_point(), 6);
  }
  auto reopened = open_log(dir.path(), FileSystem::posix(), TopicConfig());
  ASSERT_TRUE(reopened);
  EXPECT_EQ(offsets_in(*reopened), range(0, 6));
  EXPECT_EQ(aborted_producers(*reopened), std::vector<int64_t>{7});
}

// --- The log cleaner ---

TopicConfig compacted() {
  TopicConfig config;
  config.cleanup_policy = "compact";
  config.segment_bytes = 1024;
  config.min_cleanable_dirty_ratio = 0.0;
  config.index_interval_bytes = 128;
  return config;
}

struct Record {
  int64_t offset;
  std::string key;
  std::string value;
  auto operator<=>(const Record&) const = default;
};

std::vector<Record> records_of(const Log& log) {
  std::vector<Record> out;
  const Bytes all = testing::read_all(log);
  size_t position = 0;
  for (const RecordBatchHeader& header : testing::batches_in(all.view())) {
    auto decoded = decode_uncompressed_batch(all.view().subview(position, header.total_size()));
    position += header.total_size();
    EXPECT_TRUE(decoded.ok());
    if (!decoded.ok()) continue;
    for (const DecodedRecord& record : *decoded) {
      out.push_back(Record{record.offset, record.key->to_string(), record.value->to_string()});
    }
  }
  return out;
}

// Twelve keys updated over and over: several segments, most of each superseded.
void append_updates(Log& log, std::map<std::string, std::string>& latest) {
  for (int i = 0; i < 120; ++i) {
    RecordBatchBuilder builder(kNow);
    const std::string key = "k" + std::to_string(i % 12);
    const std::string value = "value-" + std::to_string(i);
    builder.add(Bytes::from_string(key), Bytes::from_string(value), kNow, Headers());
    ASSERT_EQ(log.append(builder.build().view(), kNow).error, AppendError::kNone);
    latest[key] = value;
  }
}

// A crash at points spread over a whole cleaning pass (segment, index and directory writes
// all count): after a restart each segment is the old or the cleaned one, no key's latest
// value is lost, nothing that was not in the log appears, and cleaning again gives exactly
// what an uninterrupted pass gives.
TEST(FileSystemTest, ACrashAnywhereInACleaningPassLeavesTheOldOrTheNewSegments) {
  std::vector<Record> uncleaned;
  std::vector<Record> fully_cleaned;
  {
    TempDir reference_dir;
    auto reference = open_log(reference_dir.path(), FileSystem::posix(), compacted());
    std::map<std::string, std::string> latest;
    append_updates(*reference, latest);
    uncleaned = records_of(*reference);
    auto stats = reference->clean(kNow, true);
    ASSERT_TRUE(stats.ok()) << stats.status().to_string();
    ASSERT_GE(stats->segments_rewritten, 2);
    fully_cleaned = records_of(*reference);
    ASSERT_LT(fully_cleaned.size(), uncleaned.size());
  }
  const std::set<Record> before(uncleaned.begin(), uncleaned.end());
  int crashes = 0;
  for (uint64_t crash_at = 0;; crash_at += 61) {
    SCOPED_TRACE("crash after byte " + std::to_string(crash_at));
    TempDir dir;
    std::map<std::string, std::string> latest;
    {
      FaultInjectingFileSystem fs;
      auto log = open_log(dir.path(), fs, compacted());
      ASSERT_TRUE(log);
      append_updates(*log, latest);
      fs.crash_after_bytes(crash_at);
      const bool cleaned = log->clean(kNow, true).ok();
      if (!fs.crashed()) {
        ASSERT_TRUE(cleaned);
        break;  // past the pass's last byte
      }
      EXPECT_FALSE(cleaned);
      ++crashes;
    }
    auto reopened = open_log(dir.path(), FileSystem::posix(), compacted());
    ASSERT_TRUE(reopened);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "cleaning"));
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "cleaned"));
    const std::vector<Record> after = records_of(*reopened);
    std::map<std::string, std::string> latest_after;
    for (size_t i = 0; i < after.size(); ++i) {
      EXPECT_TRUE(before.contains(after[i])) << after[i].offset;
      if (i > 0) {
        EXPECT_LT(after[i - 1].offset, after[i].offset);
      }
      latest_after[after[i].key] = after[i].value;
    }
    EXPECT_EQ(latest_after, latest);
    for (const Record& survivor : fully_cleaned) {
      EXPECT_TRUE(std::find(after.begin(), after.end(), survivor) != after.end())
          << survivor.offset;
    }
    EXPECT_EQ(reopened->log_end_offset(), 120);
    ASSERT_TRUE(reopened->clean(kNow, true).ok());
    EXPECT_EQ(records_of(*reopened), fully_cleaned);
  }
  EXPECT_GT(crashes, 10);
}

// --- topics.meta ---

std::set<std::string> topic_names(const LogManager& manager) {
  std::set<std::string> names;
  for (const TopicInfo& topic : manager.list_topics()) names.insert(topic.name);
  return names;
}

// A crash at every byte of creating a topic (its partition files, then topics.meta) and of
// deleting one: the restarted broker opens and lists the old or the new set of topics.
TEST(FileSystemTest, ACrashWhileTopicsMetaIsRewrittenLeavesTheOldOrTheNewTopicList) {
  ManualClock clock;
  for (const bool deleting : {false, true}) {
    int crashes = 0;
    for (uint64_t crash_at = 0;; ++crash_at) {
      SCOPED_TRACE((deleting ? "deleting, crash after byte " : "creating, crash after byte ") +
                   std::to_string(crash_at));
      TempDir dir;
      {
        FaultInjectingFileSystem fs;
        auto manager = LogManager::open(dir.path(), TopicConfig(), clock, fs);
        ASSERT_TRUE(manager.ok()) << manager.status().to_string();
        ASSERT_TRUE((*manager)->create_topic("kept", 2, {{"retention.ms", "1000"}}, false).ok());
        if (deleting) {
          ASSERT_TRUE((*manager)->create_topic("changing", 2, {}, false).ok());
        }
        fs.crash_after_bytes(crash_at);
        const Status changed = deleting ? (*manager)->delete_topic("changing")
                                        : (*manager)->create_topic("changing", 3, {}, false);
        if (!fs.crashed()) {
          ASSERT_TRUE(changed.ok()) << changed.to_string();
          break;
        }
        EXPECT_FALSE(changed.ok());
        ++crashes;
      }
      auto manager = LogManager::open(dir.path(), TopicConfig(), clock);
      ASSERT_TRUE(manager.ok()) << manager.status().to_string();
      const std::set<std::string> names = topic_names(**manager);
      EXPECT_TRUE(names == std::set<std::string>{"kept"} ||
                  names == (std::set<std::string>{"changing", "kept"}));
      auto kept = (*manager)->describe_topic("kept");
      ASSERT_TRUE(kept);
      EXPECT_EQ(kept->partitions, 2);
      EXPECT_EQ(kept->overrides.at("retention.ms"), "1000");
      if (names.contains("changing")) {
        EXPECT_EQ((*manager)->describe_topic("changing")->partitions, deleting ? 2 : 3);
        EXPECT_NE((*manager)->log("changing", 1), nullptr);
      }
    }
    EXPECT_GT(crashes, 0);
  }
}

}  // namespace
}  // namespace runnel::broker
