// Recovery of a torn or corrupt tail: whatever a crash leaves at the end of the last
// segment, opening the log keeps exactly the complete, valid batches before it.

#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "broker/storage/log.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::batches_in;
using testing::make_batch;
using testing::read_all;
using testing::TempDir;

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int kBatches = 5;
constexpr int kRecordsPerBatch = 3;

// A partition directory holding kBatches batches in one segment, and what a reader saw.
struct WrittenLog {
  TempDir dir;
  Bytes stored;                 // the whole .log file
  size_t last_batch_start = 0;  // byte position of the last batch
  std::filesystem::path log_file;
};

void write_log(WrittenLog& written, const TopicConfig& config = {}) {
  auto log = Log::open(written.dir.path(), config, kNow);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  for (int i = 0; i < kBatches; ++i) {
    ASSERT_EQ((*log)->append(make_batch(kRecordsPerBatch, 20 + i, kNow), kNow).error,
              AppendError::kNone);
  }
  written.stored = read_all(**log);
  const auto headers = batches_in(written.stored);
  ASSERT_EQ(headers.size(), static_cast<size_t>(kBatches));
  written.last_batch_start = written.stored.size() - headers.back().total_size();
  written.log_file = Segment::log_path(written.dir.path(), 0);
  ASSERT_EQ(std::filesystem::file_size(written.log_file), written.stored.size());
}

// Copies the partition directory of `written` into `into` and lets `damage` edit the copy's
// .log file.
void copy_and_damage(const WrittenLog& written, const std::filesystem::path& into,
                     const std::function<void(const std::filesystem::path&)>& damage) {
  std::filesystem::copy(written.dir.path(), into, std::filesystem::copy_options::recursive);
  damage(Segment::log_path(into, 0));
}

// Opens the damaged copy and checks it holds exactly the first `batches` batches of
// `written`, byte for byte, and that appending continues right after them.
void expect_recovered_to(const WrittenLog& written, const std::filesystem::path& dir, int batches,
                         const std::string& what) {
  SCOPED_TRACE(what);
  auto log = Log::open(dir, TopicConfig(), kNow);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  const int64_t end = static_cast<int64_t>(batches) * kRecordsPerBatch;
  EXPECT_EQ((*log)->log_end_offset(), end);
  const size_t kept = batches == kBatches ? written.stored.size() : written.last_batch_start;
  EXPECT_EQ((*log)->size_bytes(), kept);
  EXPECT_EQ(std::filesystem::file_size(Segment::log_path(dir, 0)), kept);
  EXPECT_EQ(read_all(**log), Bytes(written.stored.view().subview(0, kept)));
  AppendResult next = (*log)->append(make_batch(2), kNow);
  ASSERT_EQ(next.error, AppendError::kNone) << next.message;
  EXPECT_EQ(next.base_offset, end);
  EXPECT_EQ(next.last_offset, end + 1);
  auto read = (*log)->read(end, 1 << 20);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(batches_in(read->records).size(), 1u);
  EXPECT_EQ(batches_in(read->records)[0].base_offset, end);
}

TEST(RecoveryTest, KeepsExactlyTheCompleteBatchesForEveryTornLength) {
  WrittenLog written;
  ASSERT_NO_FATAL_FAILURE(write_log(written));
  TempDir scratch;
  for (size_t length = written.last_batch_start; length <= written.stored.size(); ++length) {
    const auto copy = scratch.path() / std::to_string(length);
    copy_and_damage(written, copy, [length](const std::filesystem::path& file) {
      std::filesystem::resize_file(file, length);
    });
    const int complete = length == written.stored.size() ? kBatches : kBatches - 1;
    ASSERT_NO_FATAL_FAILURE(
        expect_recovered_to(written, copy, complete, "length " + std::to_string(length)));
    std::filesystem::remove_all(copy);
  }
}

TEST(RecoveryTest, DropsTheLastBatchWhenAnyOfItsCheckedBytesIsFlipped) {
  WrittenLog written;
  ASSERT_NO_FATAL_FAILURE(write_log(written));
  TempDir scratch;
  for (size_t at = written.last_batch_start; at < written.stored.size(); ++at) {
    const size_t within = at - written.last_batch_start;
    // baseOffset and partitionLeaderEpoch are outside the CRC (the broker rewrites them);
    // a changed base offset is covered by RecoveryTest.DropsALastBatchWhoseOffsetGoesBackwards.
    if (within < RecordBatchHeader::kBatchLengthAt || (within >= 12 && within < 16)) continue;
    const auto copy = scratch.path() / std::to_string(at);
    copy_and_damage(written, copy, [at](const std::filesystem::path& file) {
      std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
      stream.seekg(static_cast<std::streamoff>(at));
      const char byte = static_cast<char>(stream.get());
      stream.seekp(static_cast<std::streamoff>(at));
      stream.put(static_cast<char>(byte ^ 0x10));
    });
    ASSERT_NO_FATAL_FAILURE(expect_recovered_to(
        written, copy, kBatches - 1, "byte " + std::to_string(within) + " of the batch"));
    std::filesystem::remove_all(copy);
  }
}

TEST(RecoveryTest, DropsALastBatchWhoseOffsetGoesBackwards) {
  WrittenLog written;
  ASSERT_NO_FATAL_FAILURE(write_log(written));
  TempDir scratch;
  const auto copy = scratch.path() / "copy";
  copy_and_damage(written, copy, [&written](const std::filesystem::path& file) {
    std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
    uint8_t offset[8];
    store_big_endian<int64_t>(offset, 1);  // overlaps the batches before it
    stream.seekp(static_cast<std::streamoff>(written.last_batch_start));
    stream.write(reinterpret_cast<const char*>(offset), 8);
  });
  expect_recovered_to(written, copy, kBatches - 1, "base offset 1");
}

TEST(RecoveryTest, CutsGarbageAppendedAfterTheLastBatch) {
  WrittenLog written;
  ASSERT_NO_FATAL_FAILURE(write_log(written));
  TempDir scratch;
  for (const size_t extra : {1u, 12u, 61u, 4096u}) {
    for (const char fill : {'\0', '\xff'}) {
      const auto copy = scratch.path() / "copy";
      copy_and_damage(written, copy, [extra, fill](const std::filesystem::path& file) {
        std::ofstream stream(file, std::ios::app | std::ios::binary);
        stream << std::string(extra, fill);
      });
      ASSERT_NO_FATAL_FAILURE(expect_recovered_to(
          written, copy, kBatches, std::to_string(extra) + " byte(s) of " + std::to_string(fill)));
      std::filesystem::remove_all(copy);
    }
  }
}

TEST(RecoveryTest, RecoversTheLastSegmentOfAMultiSegmentLog) {
  TempDir dir;
  const auto config = TopicConfig().with_overrides({{"segment.bytes", "300"}});
  ASSERT_TRUE(config.ok());
  Bytes before;
  size_t last_size = 0;
  int64_t last_base = 0;
  {
    auto log = Log::open(dir.path(), *config, kNow);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 10; ++i) {
      ASSERT_EQ((*log)->append(make_batch(2, 60), kNow).error, AppendError::kNone);
    }
    ASSERT_GT((*log)->segment_count(), 2u);
    before = read_all(**log);
    const auto headers = batches_in(before);
    last_size = headers.back().total_size();
    last_base = headers.back().base_offset;
  }
  // Tear the last batch: cut the last 5 bytes of the last segment.
  std::filesystem::path last_file;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".log" && entry.path() > last_file) last_file = entry.path();
  }
  std::filesystem::resize_file(last_file, std::filesystem::file_size(last_file) - 5);
  auto log = Log::open(dir.path(), *config, kNow);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  EXPECT_EQ((*log)->log_end_offset(), last_base);
  EXPECT_EQ(read_all(**log), Bytes(before.view().subview(0, before.size() - last_size)));
  EXPECT_EQ((*log)->append(make_batch(1), kNow).base_offset, last_base);
}

TEST(RecoveryTest, ATornOlderSegmentKeepsItsCompleteBatchesAndEverySegmentAfterIt) {
  TempDir dir;
  const auto config = TopicConfig().with_overrides({{"segment.bytes", "700"}});
  ASSERT_TRUE(config.ok());
  Bytes before;
  size_t segments = 0;
  {
    auto log = Log::open(dir.path(), *config, kNow);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 10; ++i) {
      ASSERT_EQ((*log)->append(make_batch(2, 60), kNow).error, AppendError::kNone);
    }
    segments = (*log)->segment_count();
    ASSERT_GT(segments, 2u);
    before = read_all(**log);
  }
  // The first segment holds three batches; tear the last 5 bytes of its third. With no
  // recovery point every segment is verified: the torn batch is cut, nothing else goes.
  const auto first = Segment::log_path(dir.path(), 0);
  const auto first_size = std::filesystem::file_size(first);
  const auto first_batches = batches_in(before.view().subview(0, first_size));
  ASSERT_EQ(first_batches.size(), 3u);
  const size_t kept = first_size - first_batches.back().total_size();
  std::filesystem::resize_file(first, first_size - 5);

  auto log = Log::open(dir.path(), *config, kNow);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  EXPECT_EQ((*log)->segment_count(), segments);
  EXPECT_EQ((*log)->log_end_offset(), 20);
  Bytes expected(before.view().subview(0, kept));
  expected.append(before.view().subview(first_size));
  EXPECT_EQ(read_all(**log), expected);
  EXPECT_EQ(std::filesystem::file_size(first), kept);
  AppendResult next = (*log)->append(make_batch(1), kNow);
  ASSERT_EQ(next.error, AppendError::kNone) << next.message;
  EXPECT_EQ(next.base_offset, 20);
}

}  // namespace
}  // namespace runnel::broker
