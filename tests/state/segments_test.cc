// Segments: the next segment is opened ahead, off the calling (stream) thread, and every
// segment opened ahead is accounted for: taken when needed, joined to the live set when the
// stream time jumps past it, closed (and left on disk) by close().

#include "state/internal/segments.h"

#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/state/store_test_util.h"
#include "tests/state/temp_dir.h"

namespace runnel::state::internal {
namespace segments_test {

using testing::b;
using testing::TempDir;

constexpr Timestamp kRetention = 30'000;
constexpr Timestamp kInterval = 10'000;

// Records on which thread each segment was opened, then opens it with RocksDB.
class RecordingFactory final : public SegmentFactory {
 public:
  struct Open {
    std::int64_t id;
    std::thread::id thread;
  };

  explicit RecordingFactory(std::unique_ptr<SegmentFactory> inner, std::vector<Open>* opens,
                            std::mutex* mutex)
      : inner_(std::move(inner)), opens_(opens), mutex_(mutex) {}

  Result<std::unique_ptr<KeyValueStore>> open(std::int64_t segment_id) override {
    {
      std::lock_guard lock(*mutex_);
      opens_->push_back({segment_id, std::this_thread::get_id()});
    }
    return inner_->open(segment_id);
  }
  Result<std::unique_ptr<KeyValueStore>> open_unregistered(std::int64_t segment_id) override {
    {
      std::lock_guard lock(*mutex_);
      opens_->push_back({segment_id, std::this_thread::get_id()});
    }
    return inner_->open_unregistered(segment_id);
  }
  void adopt(KeyValueStore& segment) override { inner_->adopt(segment); }
  Status destroy(std::int64_t segment_id) override { return inner_->destroy(segment_id); }
  Result<std::vector<std::int64_t>> list_existing() override { return inner_->list_existing(); }
  UncommittedWrites* uncommitted_writes() const override { return inner_->uncommitted_writes(); }
  bool opens_ahead() const override { return inner_->opens_ahead(); }

 private:
  std::unique_ptr<SegmentFactory> inner_;
  std::vector<Open>* opens_;
  std::mutex* mutex_;
};

class SegmentsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Segments> make(RocksDbStoreOptions options = {}) {
    return std::make_unique<Segments>(
        "w", kRetention, kInterval,
        std::make_unique<RecordingFactory>(
            make_rocksdb_segment_factory("w", dir_.path(), kInterval, options), &opens_, &mutex_));
  }

  std::optional<std::thread::id> thread_that_opened(std::int64_t id) {
    std::lock_guard lock(mutex_);
    for (const RecordingFactory::Open& open : opens_) {
      if (open.id == id) return open.thread;
    }
    return std::nullopt;
  }

  static std::vector<std::int64_t> live_ids(const Segments& segments) {
    std::vector<std::int64_t> ids;
    for (const Segments::Segment& s : segments.overlapping(0, 1'000'000)) ids.push_back(s.id);
    return ids;
  }

  TempDir dir_;
  std::mutex mutex_;
  std::vector<RecordingFactory::Open> opens_;
};

TEST_F(SegmentsTest, NextSegmentIsOpenedAheadOffTheCallingThread) {
  auto segments = make();
  ASSERT_TRUE(segments->get_or_create(5'000, 5'000).ok());
  EXPECT_EQ(thread_that_opened(0), std::this_thread::get_id());
  EXPECT_EQ(segments->prepared_segment(), std::optional<std::int64_t>(1));
  // Not live until needed: reads do not see it.
  EXPECT_EQ(live_ids(*segments), (std::vector<std::int64_t>{0}));
  EXPECT_EQ(segments->get(15'000), nullptr);

  Result<KeyValueStore*> next = segments->get_or_create(15'000, 15'000);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_NE(*next, nullptr);
  ASSERT_TRUE(thread_that_opened(1).has_value());
  EXPECT_NE(*thread_that_opened(1), std::this_thread::get_id());
  // The segment taken is a working store, and the one after it is on its way.
  ASSERT_TRUE((*next)->put(b("k"), b("v")).ok());
  Result<std::optional<Bytes>> read = segments->get(15'000)->get(b("k"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, std::optional<Bytes>(b("v")));
  EXPECT_EQ(segments->prepared_segment(), std::optional<std::int64_t>(2));
  EXPECT_TRUE(segments->close().ok());
}

TEST_F(SegmentsTest, ASegmentOpenedAheadAndJumpedOverJoinsTheLiveSet) {
  auto segments = make();
  ASSERT_TRUE(segments->get_or_create(5'000, 5'000).ok());
  ASSERT_TRUE(segments->get_or_create(35'000, 35'000).ok());
  EXPECT_EQ(live_ids(*segments), (std::vector<std::int64_t>{0, 1, 3}));
  EXPECT_EQ(segments->prepared_segment(), std::optional<std::int64_t>(4));
  // An older segment made later is opened where it is needed and prepares nothing.
  ASSERT_TRUE(segments->get_or_create(25'000, 35'000).ok());
  EXPECT_EQ(live_ids(*segments), (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(segments->prepared_segment(), std::optional<std::int64_t>(4));
  EXPECT_TRUE(segments->close().ok());
}

TEST_F(SegmentsTest, CloseClosesTheSegmentOpenedAheadAndLeavesItForTheNextRun) {
  auto segments = make();
  ASSERT_TRUE(segments->get_or_create(5'000, 5'000).ok());
  ASSERT_EQ(segments->prepared_segment(), std::optional<std::int64_t>(1));
  ASSERT_TRUE(segments->close().ok());
  EXPECT_EQ(segments->prepared_segment(), std::nullopt);

  // Reopening every segment succeeds only if no RocksDB instance still holds its lock.
  auto again = make();
  ASSERT_TRUE(again->open_existing().ok());
  EXPECT_EQ(live_ids(*again), (std::vector<std::int64_t>{0, 1}));
  EXPECT_TRUE(again->close().ok());
}

TEST_F(SegmentsTest, DestroyedWithoutCloseStillWaitsForTheOpenAhead) {
  {
    auto segments = make();
    ASSERT_TRUE(segments->get_or_create(5'000, 5'000).ok());
    ASSERT_EQ(segments->prepared_segment(), std::optional<std::int64_t>(1));
  }
  auto again = make();
  ASSERT_TRUE(again->open_existing().ok());
  EXPECT_EQ(live_ids(*again), (std::vector<std::int64_t>{0, 1}));
  EXPECT_TRUE(again->close().ok());
}

TEST(SegmentsInMemoryTest, InMemorySegmentsAreNotOpenedAhead) {
  Segments segments("w", kRetention, kInterval, make_in_memory_segment_factory("w"));
  ASSERT_TRUE(segments.get_or_create(5'000, 5'000).ok());
  EXPECT_EQ(segments.prepared_segment(), std::nullopt);
  EXPECT_TRUE(segments.close().ok());
}

// Exactly-once: the segment opened ahead is buffered like one opened on the stream thread.
// It is registered with the task's UncommittedWrites as it is taken, so that a commit writes
// its buffered writes to RocksDB and a discard (an aborted transaction) drops them; a
// segment that missed the registration would do neither (its writes reach no commit).
TEST_F(SegmentsTest, BufferedModeOpensAheadAndRegistersTheSegmentAsItIsTaken) {
  UncommittedWrites uncommitted;
  auto segments = make({.uncommitted_writes = &uncommitted});
  ASSERT_TRUE(segments->get_or_create(5'000, 5'000).ok());
  EXPECT_EQ(segments->prepared_segment(), std::optional<std::int64_t>(1));
  Result<KeyValueStore*> next = segments->get_or_create(15'000, 15'000);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_NE(*next, nullptr);
  ASSERT_TRUE(thread_that_opened(1).has_value());
  EXPECT_NE(*thread_that_opened(1), std::this_thread::get_id());

  ASSERT_TRUE((*next)->put(b("committed"), b("v")).ok());
  EXPECT_GT(uncommitted.uncommitted_bytes(), 0u);
  ASSERT_TRUE(uncommitted.commit().ok());
  EXPECT_EQ(uncommitted.uncommitted_bytes(), 0u);
  ASSERT_TRUE((*next)->put(b("aborted"), b("v")).ok());
  uncommitted.discard();

  Result<std::optional<Bytes>> committed = (*next)->get(b("committed"));
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, std::optional<Bytes>(b("v")));
  Result<std::optional<Bytes>> aborted = (*next)->get(b("aborted"));
  ASSERT_TRUE(aborted.ok()) << aborted.status();
  EXPECT_EQ(*aborted, std::nullopt);
  EXPECT_TRUE(segments->close().ok());
}

}  // namespace segments_test
}  // namespace runnel::state::internal
