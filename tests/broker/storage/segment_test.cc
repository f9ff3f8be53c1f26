#include "broker/storage/segment.h"

#include <algorithm>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "broker/storage/log.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::batches_in;
using testing::make_batch;
using testing::offsets_in;
using testing::TempDir;

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> all;
  for (int64_t o = from; o < to; ++o) all.push_back(o);
  return all;
}

// Appends `batches` batches of `records` records each to a log in `dir` whose segments
// hold about `segment_bytes`.
void fill(const std::filesystem::path& dir, int64_t segment_bytes, int batches, int records) {
  TopicConfig config;
  config.segment_bytes = segment_bytes;
  config.index_interval_bytes = 1;  // An index entry per batch: the index is exercised.
  auto log = Log::open(dir, config, 0);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  for (int i = 0; i < batches; ++i) {
    ASSERT_EQ((*log)->append(make_batch(records).view(), 0).error, AppendError::kNone);
  }
}

std::vector<std::filesystem::path> segment_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> logs;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") logs.push_back(entry.path());
  }
  std::sort(logs.begin(), logs.end());
  return logs;
}

TEST(SegmentTest, ReadsFindTheBatchContainingAnOffsetThroughTheIndex) {
  TempDir dir;
  auto segment = Segment::create(dir.path(), 100, 1, 0);
  ASSERT_TRUE(segment.ok());
  std::vector<RecordBatchHeader> headers;
  Bytes stored;
  int64_t next = 100;
  for (int i = 0; i < 5; ++i) {
    Bytes batch = make_batch(3);
    store_big_endian<int64_t>(batch.data() + RecordBatchHeader::kBaseOffsetAt, next);
    headers.push_back(RecordBatchHeader::parse(batch.view()));
    next += 3;
    stored.append(batch);
  }
  ASSERT_TRUE((*segment)->append(stored.view(), headers).ok());
  EXPECT_EQ((*segment)->next_offset(), 115);
  for (int64_t offset = 100; offset < 115; ++offset) {
    auto read = (*segment)->read(offset, 1);
    ASSERT_TRUE(read.ok());
    const auto found = batches_in(read->view());
    ASSERT_EQ(found.size(), 1u) << offset;
    EXPECT_EQ(found[0].base_offset, offset - (offset - 100) % 3);
  }
  auto past = (*segment)->read(115, 1 << 20);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());
}

TEST(SegmentTest, AnOffsetIndexEntryPointingInsideABatchIsNotTrusted) {
  TempDir dir;
  fill(dir.path(), 1 << 30, 10, 2);
  const auto index =
      std::filesystem::path(segment_files(dir.path())[0]).replace_extension(".index");
  // Every entry moves 7 bytes forward: still increasing and inside the log.
  std::fstream file(index, std::ios::in | std::ios::out | std::ios::binary);
  const auto size = std::filesystem::file_size(index);
  for (std::streamoff at = 4; at < static_cast<std::streamoff>(size); at += 8) {
    uint8_t position[4];
    file.seekg(at);
    file.read(reinterpret_cast<char*>(position), 4);
    store_big_endian<uint32_t>(position, load_big_endian<uint32_t>(position) + 7);
    file.seekp(at);
    file.write(reinterpret_cast<const char*>(position), 4);
  }
  file.close();
  auto log = Log::open(dir.path(), TopicConfig{}, 0);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(offsets_in(**log), range(0, 20));
  auto found = (*log)->offset_for_timestamp(1'000);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->first, 0);
}

// A power loss can leave an older segment torn when its roll's fsync never finished (the
// recovery point is then before it). The log still opens: that segment keeps its whole
// batches, every later segment stays, and appends continue at the log end.
TEST(SegmentTest, ATornOlderSegmentIsRecoveredAndTheSegmentsAfterItKept) {
  TempDir dir;
  fill(dir.path(), 400, 12, 3);
  auto logs = segment_files(dir.path());
  ASSERT_GE(logs.size(), 3u);
  const auto first_size = std::filesystem::file_size(logs[0]);
  std::filesystem::resize_file(logs[0], first_size - 5);
  auto log = Log::open(dir.path(), TopicConfig{}, 0);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  EXPECT_EQ((*log)->segment_count(), logs.size());
  EXPECT_EQ((*log)->log_end_offset(), 36);
  const int64_t second_base = std::stoll(logs[1].filename().string().substr(0, 20));
  const std::vector<int64_t> offsets = offsets_in(**log);
  std::vector<int64_t> expected = range(0, second_base - 3);
  for (int64_t o = second_base; o < 36; ++o) expected.push_back(o);
  EXPECT_EQ(offsets, expected);
  const AppendResult appended = (*log)->append(make_batch(2).view(), 0);
  ASSERT_EQ(appended.error, AppendError::kNone);
  EXPECT_EQ(appended.base_offset, 36);
  EXPECT_EQ(segment_files(dir.path()).size(), logs.size());
}

TEST(SegmentTest, AFileThatOnlyLooksLikeASegmentIsIgnoredAtOpen) {
  TempDir dir;
  fill(dir.path(), 1 << 30, 3, 2);
  std::ofstream(dir.path() / "notanumber-not-one!!.log") << "x";
  std::ofstream(dir.path() / "-0000000000000000001.log") << "x";
  auto log = Log::open(dir.path(), TopicConfig{}, 0);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  EXPECT_EQ(offsets_in(**log), range(0, 6));
}

}  // namespace
}  // namespace runnel::broker
