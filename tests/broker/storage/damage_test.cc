// Damage on disk is contained, never spread: whatever is cut or flipped in a segment or an
// index, opening the log loses exactly the damaged batch, every other record stays
// readable, and a reader that meets the damaged batch learns where to go on.

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/storage/log.h"
#include "broker/storage/log_manager.h"
#include "broker/storage/recovery_point_checkpoint.h"
#include "core/clock.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::batches_in;
using testing::make_batch;
using testing::TempDir;

constexpr int kBatches = 40;
constexpr int kRecords = 5;
constexpr int64_t kTotal = kBatches * kRecords;

TopicConfig small_segments() {
  auto config = TopicConfig().with_overrides({{"segment.bytes", "1000"}});
  return *config;
}

std::vector<std::filesystem::path> files_with(const std::filesystem::path& dir,
                                              const std::string& extension) {
  std::vector<std::filesystem::path> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == extension) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// kBatches batches of kRecords records in segments of about 1000 bytes, flushed; returns
// the recovery point a clean stop would record (the log end).
int64_t write_log(const std::filesystem::path& dir) {
  auto log = Log::open(dir, small_segments(), 0);
  EXPECT_TRUE(log.ok()) << log.status().to_string();
  for (int i = 0; i < kBatches; ++i) {
    EXPECT_EQ((*log)->append(make_batch(kRecords, 20), 0).error, AppendError::kNone);
  }
  EXPECT_TRUE((*log)->flush().ok());
  EXPECT_EQ((*log)->recovery_point(), kTotal);
  return (*log)->recovery_point();
}

// What a consumer that seeks past damage reads: every record offset, and the offsets at
// which it met a corrupt batch.
struct ReadBack {
  std::vector<int64_t> offsets;
  std::vector<int64_t> corrupt_at;
};

ReadBack read_back(const Log& log) {
  ReadBack back;
  int64_t offset = log.log_start_offset();
  while (offset < log.log_end_offset()) {
    auto read = log.read(offset, 1 << 16);
    if (!read.ok()) {
      EXPECT_EQ(read.status().code(), StatusCode::kCorruption) << read.status().to_string();
      back.corrupt_at.push_back(offset);
      auto end = log.end_of_damage(offset);
      EXPECT_TRUE(end.ok() && end->has_value() && **end > offset) << offset;
      if (!end.ok() || !end->has_value() || **end <= offset) break;
      offset = **end;
      continue;
    }
    const auto headers = batches_in(read->records);
    if (headers.empty()) break;
    for (const RecordBatchHeader& header : headers) {
      for (int64_t o = std::max(offset, header.base_offset); o <= header.last_offset(); ++o) {
        back.offsets.push_back(o);
      }
    }
    offset = headers.back().last_offset() + 1;
  }
  return back;
}

// Every offset but those of batch `lost_batch` (-1: none).
std::vector<int64_t> all_but_batch(int lost_batch) {
  std::vector<int64_t> offsets;
  for (int64_t o = 0; o < kTotal; ++o) {
    if (o / kRecords != lost_batch) offsets.push_back(o);
  }
  return offsets;
}

// The byte position of batch `batch` in its segment file, and that file.
std::pair<std::filesystem::path, uint64_t> locate(const std::filesystem::path& dir, int batch) {
  const int64_t offset = int64_t{batch} * kRecords;
  for (const auto& file : files_with(dir, ".log")) {
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    const auto headers =
        batches_in(BytesView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    uint64_t position = 0;
    for (const RecordBatchHeader& header : headers) {
      if (header.base_offset == offset) return {file, position};
      position += header.total_size();
    }
  }
  ADD_FAILURE() << "no batch at offset " << offset;
  return {};
}

std::vector<char> slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void spit(const std::filesystem::path& file, const std::vector<char>& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct Opened {
  std::unique_ptr<Log> log;
  ReadBack back;
};

// Opens `dir` with `recovery_point` and reads everything back.
Opened open_and_read(const std::filesystem::path& dir, int64_t recovery_point) {
  Opened opened;
  auto log = Log::open(dir, small_segments(), 0, LogOpenOptions{.recovery_point = recovery_point});
  EXPECT_TRUE(log.ok()) << log.status().to_string();
  if (!log.ok()) return opened;
  opened.log = std::move(*log);
  opened.back = read_back(*opened.log);
  return opened;
}

// Batch 9 sits in the middle of an older segment (four batches fit one).
constexpr int kMiddleBatch = 9;

TEST(DamageTest, ASevenByteCutInTheMiddleOfAnOlderSegmentLosesOnlyTheBatchItCut) {
  for (int64_t recovery_point : {int64_t{-1}, int64_t{0}}) {
    SCOPED_TRACE(recovery_point < 0 ? "after a clean stop" : "without a recovery point");
    TempDir dir;
    const int64_t rp = write_log(dir.path());
    const size_t segments = files_with(dir.path(), ".log").size();
    auto [file, position] = locate(dir.path(), kMiddleBatch);
    std::vector<char> bytes = slurp(file);
    bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(position + 100),
                bytes.begin() + static_cast<std::ptrdiff_t>(position + 107));
    spit(file, bytes);

    Opened opened = open_and_read(dir.path(), recovery_point < 0 ? rp : 0);
    ASSERT_TRUE(opened.log);
    EXPECT_EQ(opened.back.offsets, all_but_batch(kMiddleBatch));
    EXPECT_EQ(opened.back.corrupt_at, std::vector<int64_t>{kMiddleBatch * kRecords});
    EXPECT_EQ(opened.log->segment_count(), segments);
    EXPECT_EQ(files_with(dir.path(), ".log").size(), segments);
    EXPECT_EQ(std::filesystem::file_size(file), bytes.size()) << "nothing is cut";
    EXPECT_EQ(opened.log->log_end_offset(), kTotal);
    EXPECT_EQ(opened.log->append(make_batch(1), 0).base_offset, kTotal);
  }
}

TEST(DamageTest, AFlippedBitAnywhereInABatchOfAnOlderSegmentLosesOnlyThatBatch) {
  TempDir original;
  const int64_t rp = write_log(original.path());
  auto [original_file, position] = locate(original.path(), kMiddleBatch);
  const auto name = original_file.filename();
  // Every header byte and a sample of the records'.
  for (uint64_t at = 0; at < 150; at += at < RecordBatchHeader::kSize ? 1 : 9) {
    for (int64_t recovery_point : {rp, int64_t{0}}) {
      SCOPED_TRACE("byte " + std::to_string(at) + ", recovery point " +
                   std::to_string(recovery_point));
      TempDir dir;
      std::filesystem::copy(original.path(), dir.path(), std::filesystem::copy_options::recursive);
      std::vector<char> bytes = slurp(dir.path() / name);
      bytes[position + at] = static_cast<char>(bytes[position + at] ^ 0x01);
      spit(dir.path() / name, bytes);
      Opened opened = open_and_read(dir.path(), recovery_point);
      ASSERT_TRUE(opened.log);
      // partitionLeaderEpoch (bytes 12-15) is neither checked nor used: nothing is lost.
      const bool harmless = at >= 12 && at < 16;
      EXPECT_EQ(opened.back.offsets, all_but_batch(harmless ? -1 : kMiddleBatch));
      EXPECT_EQ(opened.log->log_end_offset(), kTotal);
    }
  }
}

TEST(DamageTest, ATornTailOfAnOlderSegmentLosesOnlyItsLastBatchAndNoLaterSegment) {
  for (bool below_recovery_point : {true, false}) {
    SCOPED_TRACE(below_recovery_point ? "below the recovery point" : "after it");
    TempDir dir;
    const int64_t rp = write_log(dir.path());
    const auto files = files_with(dir.path(), ".log");
    const size_t segments = files.size();
    ASSERT_GE(segments, 5u);
    const auto file = files[2];
    const auto size = std::filesystem::file_size(file);
    std::filesystem::resize_file(file, size - 7);
    Opened opened = open_and_read(dir.path(), below_recovery_point ? rp : 0);
    ASSERT_TRUE(opened.log);
    // The third segment's last batch is the one before the fourth segment's base.
    const int64_t next_base = std::stoll(files[3].filename().string().substr(0, 20));
    const int lost = static_cast<int>(next_base / kRecords) - 1;
    EXPECT_EQ(opened.back.offsets, all_but_batch(lost));
    EXPECT_EQ(files_with(dir.path(), ".log").size(), segments);
    EXPECT_EQ(opened.log->log_end_offset(), kTotal);
    // Below the recovery point nothing is cut; after it, the torn batch is.
    if (below_recovery_point) {
      EXPECT_EQ(std::filesystem::file_size(file), size - 7);
    } else {
      EXPECT_LT(std::filesystem::file_size(file), size - 7);
    }
  }
}

TEST(DamageTest, GarbledOrCutIndexFilesCostNothing) {
  for (const std::string extension : {".index", ".timeindex"}) {
    for (bool cut : {true, false}) {
      SCOPED_TRACE(extension + (cut ? " cut" : " garbled"));
      TempDir dir;
      const int64_t rp = write_log(dir.path());
      for (const auto& file : files_with(dir.path(), extension)) {
        if (cut) {
          std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2 + 3);
        } else {
          std::vector<char> bytes = slurp(file);
          for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 37 + 11);
          spit(file, bytes);
        }
      }
      Opened opened = open_and_read(dir.path(), rp);
      ASSERT_TRUE(opened.log);
      EXPECT_EQ(opened.back.offsets, all_but_batch(-1));
      auto found = opened.log->offset_for_timestamp(1'000);
      ASSERT_TRUE(found.ok());
      ASSERT_TRUE(found->has_value());
      EXPECT_EQ((*found)->first, 0);
    }
  }
}

TEST(DamageTest, AGarbledTransactionIndexStillOpensThePartition) {
  TempDir dir;
  const int64_t rp = write_log(dir.path());
  const auto first = files_with(dir.path(), ".log")[0];
  spit(std::filesystem::path(first).replace_extension(".txnindex"),
       std::vector<char>(34 * 2, '\x7f'));
  Opened opened = open_and_read(dir.path(), rp);
  ASSERT_TRUE(opened.log);
  EXPECT_EQ(opened.back.offsets, all_but_batch(-1));
}

TEST(DamageTest, CoordinatorReplaySkipsADamagedBatchAndVisitsTheRest) {
  TempDir dir;
  const int64_t rp = write_log(dir.path());
  auto [file, position] = locate(dir.path(), kMiddleBatch);
  std::vector<char> bytes = slurp(file);
  bytes[position + 80] = static_cast<char>(bytes[position + 80] ^ 0x10);
  spit(file, bytes);
  auto log = Log::open(dir.path(), small_segments(), 0, LogOpenOptions{.recovery_point = rp});
  ASSERT_TRUE(log.ok());
  std::vector<int64_t> visited;
  ASSERT_TRUE((*log)
                  ->for_each_batch(0,
                                   [&](const RecordBatchHeader& header, BytesView) {
                                     visited.push_back(header.base_offset);
                                     return ok_status();
                                   })
                  .ok());
  EXPECT_EQ(visited.size(), static_cast<size_t>(kBatches - 1));
  EXPECT_EQ(std::count(visited.begin(), visited.end(), kMiddleBatch * kRecords), 0);
}

TEST(DamageTest, AFetchStopsBeforeACorruptBatchAndTheNextFetchReportsIt) {
  TempDir dir;
  const int64_t rp = write_log(dir.path());
  auto [file, position] = locate(dir.path(), kMiddleBatch);
  std::vector<char> bytes = slurp(file);
  bytes[position + 90] = static_cast<char>(bytes[position + 90] ^ 0x40);
  spit(file, bytes);
  auto log = Log::open(dir.path(), small_segments(), 0, LogOpenOptions{.recovery_point = rp});
  ASSERT_TRUE(log.ok());
  // A fetch from the damaged batch's segment start returns the whole batches before it.
  const int64_t before = (kMiddleBatch - 1) * kRecords;
  auto read = (*log)->read(before, 1 << 16);
  ASSERT_TRUE(read.ok());
  const auto headers = batches_in(read->records);
  ASSERT_FALSE(headers.empty());
  EXPECT_EQ(headers.back().last_offset() + 1, kMiddleBatch * kRecords);
  auto failed = (*log)->read(kMiddleBatch * kRecords + 2, 1 << 16);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kCorruption);
  EXPECT_NE(failed.status().message().find(file.string()), std::string::npos);
  EXPECT_NE(failed.status().message().find("offsets 45 to 49"), std::string::npos)
      << failed.status().message();
  auto end = (*log)->end_of_damage(kMiddleBatch * kRecords + 2);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, std::optional<int64_t>((kMiddleBatch + 1) * kRecords));
}

TEST(DamageTest, ARecoveryPointCheckpointIsWrittenInKafkasFormatAndADamagedOneCostsNoData) {
  TempDir dir;
  ManualClock clock(0);
  {
    auto manager = LogManager::open(dir.path(), TopicConfig(), clock);
    ASSERT_TRUE(manager.ok());
    ASSERT_TRUE((*manager)->create_topic("t", 2, {{"segment.bytes", "1000"}}, false).ok());
    auto log = (*manager)->log("t", 1);
    for (int i = 0; i < kBatches; ++i) {
      ASSERT_EQ(log->append(make_batch(kRecords, 20), 0).error, AppendError::kNone);
    }
    ASSERT_TRUE((*manager)->flush_all().ok());
  }
  const auto file = dir.path() / RecoveryPointCheckpoint::kFileName;
  const std::vector<char> text = slurp(file);
  EXPECT_EQ(std::string(text.begin(), text.end()), "0\n2\nt 0 0\nt 1 200\n");
  auto read = RecoveryPointCheckpoint::read(FileSystem::posix(), dir.path());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->at({"t", 1}), 200);

  spit(file, {'0', '\n', '7', '\n', 'x'});
  EXPECT_EQ(RecoveryPointCheckpoint::read(FileSystem::posix(), dir.path()).status().code(),
            StatusCode::kCorruption);
  auto manager = LogManager::open(dir.path(), TopicConfig(), clock);
  ASSERT_TRUE(manager.ok()) << manager.status().to_string();
  EXPECT_EQ(read_back(*(*manager)->log("t", 1)).offsets, all_but_batch(-1));
}

TEST(DamageTest, AGarbledTopicRegistryStopsTheBrokerAndDeletesNothing) {
  TempDir dir;
  ManualClock clock(0);
  {
    auto manager = LogManager::open(dir.path(), TopicConfig(), clock);
    ASSERT_TRUE(manager.ok());
    ASSERT_TRUE((*manager)->create_topic("t", 1, {}, false).ok());
    ASSERT_EQ((*manager)->log("t", 0)->append(make_batch(3), 0).error, AppendError::kNone);
  }
  spit(dir.path() / "topics.meta", std::vector<char>(40, '\xff'));
  auto manager = LogManager::open(dir.path(), TopicConfig(), clock);
  ASSERT_FALSE(manager.ok());
  EXPECT_EQ(manager.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "t-0" / "00000000000000000000.log"));
}

}  // namespace
}  // namespace runnel::broker
