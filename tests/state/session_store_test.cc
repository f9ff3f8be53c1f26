// The contract of SessionStore, checked against the in-memory and RocksDB implementations by
// one typed suite, plus RocksDB persistence.

#include "state/session_store.h"

#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "state/change_logging_session_store.h"
#include "state/metered_session_store.h"
#include "state/stores.h"
#include "state/window_key_schema.h"
#include "tests/state/store_test_util.h"
#include "tests/state/temp_dir.h"

namespace runnel::state {
namespace session_store_test {

using testing::b;
using testing::TempDir;

// (key, start, end, value)
using Sessions = std::vector<std::tuple<std::string, Timestamp, Timestamp, std::string>>;

Sessions drain(Result<std::unique_ptr<SessionStoreIterator>> it) {
  EXPECT_TRUE(it.ok()) << it.status();
  Sessions out;
  if (!it.ok()) return out;
  for (; (*it)->valid(); (*it)->next()) {
    out.emplace_back(std::string((*it)->key().as_string_view()), (*it)->session().start_ms,
                     (*it)->session().end_ms, std::string((*it)->value().as_string_view()));
  }
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status();
  return out;
}

constexpr SessionStoreOptions kOptions{.retention_ms = 30'000, .segment_interval_ms = 10'000};

struct InMemory {
  static std::unique_ptr<SessionStore> make(const TempDir&) {
    auto store = make_in_memory_session_store("s", kOptions);
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(store).value();
  }
};

struct RocksDb {
  static std::unique_ptr<SessionStore> make(const TempDir& dir) {
    auto store = open_rocksdb_session_store("s", dir.path() / "s", kOptions);
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(store).value();
  }
};

class DiscardingCollector final : public ChangelogCollector {
 public:
  Status send(const ChangelogRecord&) override { return Status(); }
};

// The decorators must keep the contract.
struct MeteredLoggedInMemory {
  static std::unique_ptr<SessionStore> make(const TempDir& dir) {
    static DiscardingCollector collector;
    return std::make_unique<MeteredSessionStore>(std::make_unique<ChangeLoggingSessionStore>(
        InMemory::make(dir), TopicPartition{"app-s-changelog", 0}, collector, TimestampSupplier()));
  }
};

template <typename Factory>
class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Factory::make(dir_); }
  void TearDown() override {
    if (store_) {
      EXPECT_TRUE(store_->close().ok());
    }
  }
  void put(std::string_view k, Timestamp start, Timestamp end, std::string_view v) {
    ASSERT_TRUE(store_->put(b(k), Window{start, end}, b(v)).ok());
  }

  TempDir dir_;
  std::unique_ptr<SessionStore> store_;
};

using Implementations = ::testing::Types<InMemory, RocksDb, MeteredLoggedInMemory>;
TYPED_TEST_SUITE(SessionStoreTest, Implementations);

TYPED_TEST(SessionStoreTest, FindSessionsReturnsThoseOverlappingTheInterval) {
  this->put("k", 0, 1'000, "s1");
  this->put("k", 2'000, 3'000, "s2");
  this->put("k", 5'000, 16'000, "s3");
  this->put("k2", 2'000, 3'000, "other");
  this->put(std::string("k\0", 2), 2'000, 3'000, "other");
  // Sessions with end >= 2.5 s and start <= 5 s.
  EXPECT_EQ(drain(this->store_->find_sessions(b("k"), 2'500, 5'000)),
            (Sessions{{"k", 2'000, 3'000, "s2"}, {"k", 5'000, 16'000, "s3"}}));
  EXPECT_EQ(drain(this->store_->find_sessions(b("k"), 1'000, 1'500)),
            (Sessions{{"k", 0, 1'000, "s1"}}));
  EXPECT_TRUE(drain(this->store_->find_sessions(b("k"), 3'001, 4'999)).empty());
  EXPECT_EQ(drain(this->store_->fetch(b("k"))).size(), 3u);
}

// What a session aggregation does with an inactivity gap of 1 s for a record at 4 s between
// sessions [2, 3] and [5, 6]: both are within the gap, so the three merge into one.
TYPED_TEST(SessionStoreTest, MergingSessionsAroundANewRecord) {
  this->put("k", 2'000, 3'000, "2");
  this->put("k", 5'000, 6'000, "2");
  this->put("k", 9'000, 9'000, "1");
  const Timestamp t = 4'000, gap = 1'000;
  Sessions overlapping = drain(this->store_->find_sessions(b("k"), t - gap, t + gap));
  ASSERT_EQ(overlapping, (Sessions{{"k", 2'000, 3'000, "2"}, {"k", 5'000, 6'000, "2"}}));
  for (const auto& [key, start, end, value] : overlapping)
    ASSERT_TRUE(this->store_->remove(b(key), Window{start, end}).ok());
  this->put("k", 2'000, 6'000, "5");
  EXPECT_EQ(drain(this->store_->fetch(b("k"))),
            (Sessions{{"k", 2'000, 6'000, "5"}, {"k", 9'000, 9'000, "1"}}));
  EXPECT_EQ(*this->store_->fetch_session(b("k"), Window{2'000, 6'000}), b("5"));
  EXPECT_EQ(*this->store_->fetch_session(b("k"), Window{2'000, 3'000}), std::nullopt);
}

TYPED_TEST(SessionStoreTest, KeyRangeFindSessions) {
  this->put("a", 0, 1'000, "a");
  this->put("b", 0, 1'000, "b");
  this->put("c", 500, 2'000, "c");
  this->put("d", 0, 1'000, "d");
  EXPECT_EQ(drain(this->store_->find_sessions(b("b"), b("c"), 0, 10'000)),
            (Sessions{{"b", 0, 1'000, "b"}, {"c", 500, 2'000, "c"}}));
}

TYPED_TEST(SessionStoreTest, RetentionByStreamTimeOfSessionEnds) {
  this->put("k", 0, 5'000, "old");
  this->put("k", 14'000, 15'000, "mid");
  this->put("k", 40'000, 44'000, "new");  // earliest live end: 14.001 s
  EXPECT_EQ(this->store_->observed_stream_time(), 44'000);
  EXPECT_EQ(drain(this->store_->fetch(b("k"))),
            (Sessions{{"k", 14'000, 15'000, "mid"}, {"k", 40'000, 44'000, "new"}}));
  this->put("k", 1'000, 2'000, "late");
  EXPECT_EQ(this->store_->expired_puts_dropped(), 1u);
  EXPECT_EQ(drain(this->store_->fetch(b("k"))).size(), 2u);
}

TYPED_TEST(SessionStoreTest, InvalidSessionsAreRejected) {
  EXPECT_EQ(this->store_->put(b("k"), Window{5, 4}, b("v")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(this->store_->put(b("k"), Window{-1, 4}, b("v")).code(), StatusCode::kInvalidArgument);
}

TYPED_TEST(SessionStoreTest, RestoreBatchAppliesChangelogKeysAndRejectsShortOnes) {
  Bytes k1 = session_key::to_store_key(b("k"), 0, 1'000);
  Bytes k2 = session_key::to_store_key(b("k"), 3'000, 4'000);
  Bytes v = b("v");
  std::vector<RestoreRecord> records = {{k1, v.view()}, {k2, v.view()}, {k1, std::nullopt}};
  ASSERT_TRUE(this->store_->restore_batch(records).ok());
  EXPECT_EQ(drain(this->store_->fetch(b("k"))), (Sessions{{"k", 3'000, 4'000, "v"}}));
  Bytes short_key = b("0123456789");
  std::vector<RestoreRecord> corrupt = {{short_key, v.view()}};
  EXPECT_EQ(this->store_->restore_batch(corrupt).code(), StatusCode::kCorruption);
}

TYPED_TEST(SessionStoreTest, RandomisedOperationsMatchAModel) {
  std::mt19937 rng(11);
  std::map<std::tuple<std::string, Timestamp, Timestamp>, std::string> model;
  Timestamp stream_time = -1;
  const std::vector<std::string> keys = {"a", "ab", std::string("a\0", 2),
                                         std::string("a\0\0\0\0\0\0\0\0", 9), "b"};
  auto live = [&](Timestamp end) { return end >= stream_time - 30'000 + 1; };
  for (int step = 0; step < 1500; ++step) {
    const std::string& key = keys[rng() % keys.size()];
    Timestamp start = std::max<Timestamp>(
        0, stream_time + std::uniform_int_distribution<Timestamp>(-35'000, 2'000)(rng));
    start -= start % 500;
    Timestamp end = start + 500 * std::uniform_int_distribution<Timestamp>(0, 6)(rng);
    switch (rng() % 5) {
      case 0:
      case 1:
        this->put(key, start, end, std::to_string(step));
        stream_time = std::max(stream_time, end);
        if (live(end)) model[{key, start, end}] = std::to_string(step);
        break;
      case 2:
        ASSERT_TRUE(this->store_->remove(b(key), Window{start, end}).ok());
        model.erase({key, start, end});
        break;
      case 3: {
        Sessions expected;
        for (const auto& [kse, v] : model) {
          const auto& [k, s, e] = kse;
          if (k == key && e >= start && s <= end && live(e)) expected.emplace_back(k, s, e, v);
        }
        std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) {
          return std::tie(std::get<2>(x), std::get<1>(x)) <
                 std::tie(std::get<2>(y), std::get<1>(y));
        });
        ASSERT_EQ(drain(this->store_->find_sessions(b(key), start, end)), expected) << step;
        break;
      }
      case 4: {
        const std::string& key_to = keys[rng() % keys.size()];
        Sessions expected;
        for (const auto& [kse, v] : model) {
          const auto& [k, s, e] = kse;
          if (k >= key && k <= key_to && e >= start && s <= end && live(e))
            expected.emplace_back(k, s, e, v);
        }
        Sessions actual = drain(this->store_->find_sessions(b(key), b(key_to), start, end));
        std::sort(actual.begin(), actual.end());
        ASSERT_EQ(actual, expected) << step << " [" << key << ", " << key_to << "]";
        break;
      }
    }
  }
}

TEST(RocksDbSessionStoreTest, ReopenedStoreHasItsSessions) {
  TempDir dir;
  {
    auto store = open_rocksdb_session_store("s", dir.path() / "s", kOptions);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->put(b("k"), Window{1'000, 2'000}, b("v")).ok());
    ASSERT_TRUE((*store)->close().ok());
  }
  auto store = open_rocksdb_session_store("s", dir.path() / "s", kOptions);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->observed_stream_time(), 2'000);
  EXPECT_EQ(drain((*store)->fetch(b("k"))), (Sessions{{"k", 1'000, 2'000, "v"}}));
}

}  // namespace session_store_test
}  // namespace runnel::state
