#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker/storage/log.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::batches_in;
using testing::make_batch;
using testing::TempDir;

// Fetches run on other threads than produces. A reader must never see a batch being
// written: every read returns whole batches that pass the stored-batch check, with
// contiguous offsets, ending at or below the high watermark it reports.
TEST(LogConcurrencyTest, ReadersRunningDuringAppendsSeeOnlyWholeValidBatches) {
  TempDir dir;
  TopicConfig config;
  config.segment_bytes = 8 * 1024;  // Rolls happen while readers read.
  config.index_interval_bytes = 512;
  auto opened = Log::open(dir.path(), config, 0);
  ASSERT_TRUE(opened.ok());
  Log& log = **opened;
  constexpr int kBatches = 400;
  std::atomic<bool> done = false;
  std::atomic<int> failures = 0;
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        int64_t offset = 0;
        while (true) {
          auto read = log.read(offset, 3000);
          if (!read.ok()) {
            ++failures;
            return;
          }
          if (read->records.empty()) break;
          size_t position = 0;
          for (const RecordBatchHeader& header : batches_in(read->records)) {
            auto checked = check_stored_batch(read->records.view().subview(position));
            if (!checked.ok() || header.base_offset > offset ||
                header.last_offset() >= read->high_watermark) {
              ++failures;
              return;
            }
            offset = header.last_offset() + 1;
            position += header.total_size();
          }
          if (position != read->records.size()) {
            ++failures;  // A partial batch at the end.
            return;
          }
        }
      }
    });
  }
  for (int i = 0; i < kBatches; ++i) {
    ASSERT_EQ(log.append(make_batch(1 + i % 5, 50).view(), 0).error, AppendError::kNone);
  }
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(log.segment_count(), 1u);
}

}  // namespace
}  // namespace runnel::broker
