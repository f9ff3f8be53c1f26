// Buffered (exactly-once) RocksDB stores: writes are readable at once but reach RocksDB only
// when their UncommittedWrites commits, so a crash (here: the store destroyed without a
// commit) leaves only committed state on disk. Key-value, window and session stores.

#include "state/uncommitted_writes.h"

#include <signal.h>
#include <stdlib.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "state/rocksdb_key_value_store.h"
#include "state/stores.h"
#include "tests/state/store_test_util.h"
#include "tests/state/temp_dir.h"

namespace runnel::state {
namespace uncommitted_writes_test {

using testing::b;
using testing::drain;
using testing::Entries;
using testing::TempDir;

std::unique_ptr<RocksDbKeyValueStore> open_store(const std::filesystem::path& dir,
                                                 UncommittedWrites* uncommitted) {
  RocksDbStoreOptions options;
  options.uncommitted_writes = uncommitted;
  auto store = RocksDbKeyValueStore::open("kv", dir, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

std::optional<std::string> get(KeyValueStore& store, std::string_view key) {
  auto value = store.get(b(key));
  EXPECT_TRUE(value.ok()) << value.status();
  if (!value.ok() || !*value) return std::nullopt;
  return (*value)->to_string();
}

class BufferedKeyValueStoreTest : public ::testing::Test {
 protected:
  // Puts a, c, e (committed) then b, d (buffered) and deletes c (buffered).
  void write_committed_then_buffered() {
    ASSERT_TRUE(store_->put(b("a"), b("1")).ok());
    ASSERT_TRUE(store_->put(b("c"), b("3")).ok());
    ASSERT_TRUE(store_->put(b("e"), b("5")).ok());
    ASSERT_TRUE(uncommitted_.commit().ok());
    ASSERT_TRUE(store_->put(b("b"), b("2")).ok());
    ASSERT_TRUE(store_->put(b("d"), b("4")).ok());
    ASSERT_TRUE(store_->delete_key(b("c")).ok());
  }

  TempDir dir_;
  UncommittedWrites uncommitted_;
  std::unique_ptr<RocksDbKeyValueStore> store_ = open_store(dir_.path() / "kv", &uncommitted_);
};

TEST_F(BufferedKeyValueStoreTest, RegistersWhileOpenAndUnregistersAtClose) {
  EXPECT_TRUE(store_->buffered());
  EXPECT_EQ(uncommitted_.participant_count(), 1u);
  ASSERT_TRUE(store_->close().ok());
  EXPECT_EQ(uncommitted_.participant_count(), 0u);
}

TEST_F(BufferedKeyValueStoreTest, GetSeesUncommittedPutsAndDeletes) {
  write_committed_then_buffered();
  EXPECT_EQ(get(*store_, "b"), "2");
  EXPECT_EQ(get(*store_, "a"), "1");
  EXPECT_EQ(get(*store_, "c"), std::nullopt);
  EXPECT_GT(uncommitted_.uncommitted_bytes(), 0u);
}

TEST_F(BufferedKeyValueStoreTest, RangesMergeUncommittedWritesWithCommittedOnes) {
  write_committed_then_buffered();
  EXPECT_EQ(drain(store_->all()), (Entries{{"a", "1"}, {"b", "2"}, {"d", "4"}, {"e", "5"}}));
  EXPECT_EQ(drain(store_->range(b("b"), b("d"))), (Entries{{"b", "2"}, {"d", "4"}}));
  EXPECT_EQ(drain(store_->reverse_range(b("a"), b("d"))),
            (Entries{{"d", "4"}, {"b", "2"}, {"a", "1"}}));
  EXPECT_EQ(drain(store_->reverse_range(b("b"), b("c"))), (Entries{{"b", "2"}}));
}

TEST_F(BufferedKeyValueStoreTest, PrefixScanSeesUncommittedKeysOfThePrefixOnly) {
  ASSERT_TRUE(store_->put(b("p1"), b("x")).ok());
  ASSERT_TRUE(store_->put(b("q1"), b("x")).ok());
  ASSERT_TRUE(uncommitted_.commit().ok());
  ASSERT_TRUE(store_->put(b("p2"), b("y")).ok());
  ASSERT_TRUE(store_->put(b("q0"), b("y")).ok());
  ASSERT_TRUE(store_->put(b("o9"), b("y")).ok());
  EXPECT_EQ(drain(store_->prefix_scan(b("p"))), (Entries{{"p1", "x"}, {"p2", "y"}}));
}

TEST_F(BufferedKeyValueStoreTest, PutIfAbsentSeesUncommittedAndCommittedValues) {
  ASSERT_TRUE(store_->put(b("old"), b("1")).ok());
  ASSERT_TRUE(uncommitted_.commit().ok());
  ASSERT_TRUE(store_->put(b("new"), b("2")).ok());
  auto existing = store_->put_if_absent(b("old"), b("x"));
  ASSERT_TRUE(existing.ok());
  EXPECT_EQ((*existing)->to_string(), "1");
  existing = store_->put_if_absent(b("new"), b("x"));
  ASSERT_TRUE(existing.ok());
  EXPECT_EQ((*existing)->to_string(), "2");
  ASSERT_TRUE(store_->delete_key(b("old")).ok());
  existing = store_->put_if_absent(b("old"), b("3"));
  ASSERT_TRUE(existing.ok());
  EXPECT_FALSE(existing->has_value());
  EXPECT_EQ(get(*store_, "old"), "3");
}

TEST_F(BufferedKeyValueStoreTest, IteratorKeepsItsSnapshotAcrossWritesAndCommit) {
  write_committed_then_buffered();
  auto it = store_->all();
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE(store_->put(b("aa"), b("later")).ok());
  ASSERT_TRUE(store_->delete_key(b("d")).ok());
  ASSERT_TRUE(uncommitted_.commit().ok());
  ASSERT_TRUE(store_->put(b("b"), b("after commit")).ok());
  EXPECT_EQ(drain(**it), (Entries{{"a", "1"}, {"b", "2"}, {"d", "4"}, {"e", "5"}}));
}

TEST_F(BufferedKeyValueStoreTest, CloseEndsOpenIteratorsWithAborted) {
  write_committed_then_buffered();
  auto it = store_->all();
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE(store_->close().ok());
  EXPECT_FALSE((*it)->valid());
  EXPECT_FALSE((*it)->status().ok());
}

TEST_F(BufferedKeyValueStoreTest, FlushDoesNotCommit) {
  write_committed_then_buffered();
  ASSERT_TRUE(store_->flush().ok());
  store_.reset();  // a crash after the flush, before the commit
  store_ = open_store(dir_.path() / "kv", &uncommitted_);
  EXPECT_EQ(drain(store_->all()), (Entries{{"a", "1"}, {"c", "3"}, {"e", "5"}}));
}

TEST_F(BufferedKeyValueStoreTest, ACrashBeforeCommitLeavesOnlyCommittedDataOnDisk) {
  write_committed_then_buffered();
  ASSERT_TRUE(store_->put_all(std::vector<KeyValue>{{b("f"), b("6")}, {b("a"), b("x")}}).ok());
  store_.reset();
  EXPECT_EQ(uncommitted_.participant_count(), 0u);
  store_ = open_store(dir_.path() / "kv", &uncommitted_);
  EXPECT_EQ(drain(store_->all()), (Entries{{"a", "1"}, {"c", "3"}, {"e", "5"}}));
}

TEST_F(BufferedKeyValueStoreTest, CommittedWritesSurviveReopen) {
  write_committed_then_buffered();
  ASSERT_TRUE(uncommitted_.commit().ok());
  EXPECT_EQ(uncommitted_.uncommitted_bytes(), 0u);
  store_.reset();
  store_ = open_store(dir_.path() / "kv", &uncommitted_);
  EXPECT_EQ(drain(store_->all()), (Entries{{"a", "1"}, {"b", "2"}, {"d", "4"}, {"e", "5"}}));
}

TEST_F(BufferedKeyValueStoreTest, DiscardDropsUncommittedWrites) {
  write_committed_then_buffered();
  uncommitted_.discard();
  EXPECT_EQ(drain(store_->all()), (Entries{{"a", "1"}, {"c", "3"}, {"e", "5"}}));
}

TEST_F(BufferedKeyValueStoreTest, RestoringWithNothingBufferedWritesToRocksDbDirectly) {
  const std::string value = "restored";
  std::vector<RestoreRecord> records{{BytesView(std::string_view("r")), BytesView(value)}};
  ASSERT_TRUE(store_->restore_batch(records).ok());
  ASSERT_TRUE(store_->flush().ok());
  store_.reset();
  store_ = open_store(dir_.path() / "kv", &uncommitted_);
  EXPECT_EQ(get(*store_, "r"), "restored");
}

TEST(UnbufferedKeyValueStoreTest, WritesGoStraightToRocksDbAsBefore) {
  TempDir dir;
  auto store = open_store(dir.path() / "kv", nullptr);
  EXPECT_FALSE(store->buffered());
  ASSERT_TRUE(store->put(b("k"), b("v")).ok());
  ASSERT_TRUE(store->close().ok());
  store = open_store(dir.path() / "kv", nullptr);
  EXPECT_EQ(get(*store, "k"), "v");
}

// Random writes, reads, scans, commits and crashes against two std::map models: what reads must see
// (everything written) and what must be on disk (everything committed).
TEST(BufferedKeyValueStoreModelTest, MatchesAMapModelOverRandomWritesCommitsAndCrashes) {
  TempDir dir;
  UncommittedWrites uncommitted;
  auto store = open_store(dir.path() / "kv", &uncommitted);
  std::map<std::string, std::string> visible, committed;
  std::mt19937 random(20261206);
  auto random_key = [&] { return "k" + std::to_string(random() % 40); };
  for (int step = 0; step < 1500; ++step) {
    const unsigned op = random() % 100;
    if (op < 40) {
      std::string key = random_key(), value = std::to_string(step);
      ASSERT_TRUE(store->put(b(key), b(value)).ok());
      visible[key] = value;
    } else if (op < 45) {
      std::string first = random_key(), second = random_key();
      ASSERT_TRUE(
          store->put_all(std::vector<KeyValue>{{b(first), b("1")}, {b(second), b("2")}}).ok());
      visible[first] = "1";
      visible[second] = "2";
    } else if (op < 50) {
      std::string key = random_key();
      auto existing = store->put_if_absent(b(key), b("absent"));
      ASSERT_TRUE(existing.ok());
      EXPECT_EQ(existing->has_value(), visible.count(key) == 1) << key;
      visible.emplace(key, "absent");
    } else if (op < 52) {
      // Keys k1, k10..k19: a prefix with neighbours on both sides.
      Entries expected;
      for (const auto& [key, value] : visible) {
        if (key.starts_with("k1")) expected.emplace_back(key, value);
      }
      ASSERT_EQ(drain(store->prefix_scan(b("k1"))), expected);
    } else if (op < 75) {
      std::string key = random_key();
      auto removed = store->delete_key(b(key));
      ASSERT_TRUE(removed.ok());
      EXPECT_EQ(removed->has_value(), visible.count(key) == 1) << key;
      visible.erase(key);
    } else if (op < 83) {
      std::string key = random_key();
      EXPECT_EQ(get(*store, key), visible.count(key) ? std::optional(visible[key]) : std::nullopt);
    } else if (op < 90) {
      std::string from = random_key(), to = random_key();
      Entries expected;
      for (auto it = visible.lower_bound(from); it != visible.end() && it->first <= to; ++it)
        expected.emplace_back(it->first, it->second);
      ASSERT_EQ(drain(store->range(b(from), b(to))), expected) << from << ".." << to;
      std::reverse(expected.begin(), expected.end());
      ASSERT_EQ(drain(store->reverse_range(b(from), b(to))), expected) << from << ".." << to;
    } else if (op < 97) {
      ASSERT_TRUE(uncommitted.commit().ok());
      committed = visible;
    } else {
      store.reset();  // crash: what was not committed is gone
      store = open_store(dir.path() / "kv", &uncommitted);
      visible = committed;
      Entries expected(committed.begin(), committed.end());
      ASSERT_EQ(drain(store->all()), expected) << "after the crash at step " << step;
    }
  }
}

// A real kill -9 (no close, no destructor, RocksDB's write-ahead log off): what commit()
// applied and the store's flush() then made durable (as the runtime does before a
// checkpoint) is on disk, and nothing written after it, even though small memtables make
// RocksDB flush on its own while the uncommitted writes pile up. The killed process is a
// gtest death-test child (re-executed, "threadsafe" style, so it owns fresh RocksDB
// threads); the directory is handed to it through the environment.
TEST(BufferedKeyValueStoreCrashTest, KillNineLeavesCommittedDataOnDiskAndNothingElse) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  constexpr const char* kDirVariable = "RUNNEL_TEST_KILL9_DIR";
  std::optional<TempDir> own;
  std::filesystem::path dir;
  if (const char* inherited = std::getenv(kDirVariable); inherited != nullptr) {
    dir = inherited;  // in the child
  } else {
    own.emplace();
    dir = own->path();
    ::setenv(kDirVariable, dir.c_str(), 1);
  }
  auto open_small = [&](UncommittedWrites* uncommitted) {
    RocksDbStoreOptions options;
    options.write_buffer_size = 64 << 10;
    options.uncommitted_writes = uncommitted;
    return RocksDbKeyValueStore::open("kv", dir / "kv", options);
  };
  const std::string value(200, 'v');
  EXPECT_EXIT(
      {
        UncommittedWrites uncommitted;
        auto store = open_small(&uncommitted);
        if (!store.ok()) std::_Exit(2);
        for (int i = 0; i < 1000; ++i) {
          if (!(*store)->put(b("committed-" + std::to_string(i)), b(value)).ok()) std::_Exit(3);
        }
        if (!uncommitted.commit().ok()) std::_Exit(4);
        if (!(*store)->flush().ok()) std::_Exit(7);
        for (int i = 0; i < 5000; ++i) {
          if (!(*store)->put(b("uncommitted-" + std::to_string(i)), b(value)).ok()) std::_Exit(5);
          if (!(*store)->delete_key(b("committed-" + std::to_string(i % 1000))).ok()) {
            std::_Exit(6);
          }
        }
        std::raise(SIGKILL);
      },
      ::testing::KilledBySignal(SIGKILL), "");
  ::unsetenv(kDirVariable);

  auto store = open_small(nullptr);
  ASSERT_TRUE(store.ok()) << store.status();
  Entries all = drain((*store)->all());
  ASSERT_EQ(all.size(), 1000u);
  for (const auto& [key, v] : all) EXPECT_TRUE(key.starts_with("committed-")) << key;
}

// (key, window start, value)
using Windows = std::vector<std::tuple<std::string, Timestamp, std::string>>;

Windows drain_windows(Result<std::unique_ptr<WindowStoreIterator>> it) {
  EXPECT_TRUE(it.ok()) << it.status();
  Windows out;
  if (!it.ok()) return out;
  for (; (*it)->valid(); (*it)->next()) {
    out.emplace_back((*it)->key().as_string_view(), (*it)->window_start(),
                     (*it)->value().as_string_view());
  }
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status();
  return out;
}

class BufferedWindowStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<WindowStore> open() {
    WindowStoreOptions options;
    options.retention_ms = 100;
    options.window_size_ms = 10;
    options.segment_interval_ms = 50;
    RocksDbStoreOptions rocksdb;
    rocksdb.uncommitted_writes = &uncommitted_;
    auto store = open_rocksdb_window_store("win", dir_.path() / "win", options, rocksdb);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  // Whether the segment directory `name` ("win.<segment start>") is on disk. Asked by name,
  // not by counting directories: the store opens its next segment ahead, on a thread of its
  // own, so the count moves by one at times the test does not control.
  bool segment_on_disk(const std::string& name) const {
    return std::filesystem::is_directory(dir_.path() / "win" / name);
  }

  TempDir dir_;
  UncommittedWrites uncommitted_;
};

TEST_F(BufferedWindowStoreTest, ACrashBeforeCommitLeavesOnlyCommittedWindowsOnDisk) {
  auto store = open();
  ASSERT_TRUE(store->put(b("k"), b("committed"), 10).ok());
  ASSERT_TRUE(uncommitted_.commit().ok());
  ASSERT_TRUE(store->put(b("k"), b("uncommitted"), 20).ok());
  ASSERT_TRUE(store->put(b("k"), b("overwritten"), 10).ok());
  EXPECT_EQ(drain_windows(store->fetch_all(0, 100)),
            (Windows{{"k", 10, "overwritten"}, {"k", 20, "uncommitted"}}));
  store.reset();
  store = open();
  EXPECT_EQ(drain_windows(store->fetch_all(0, 100)), (Windows{{"k", 10, "committed"}}));
}

TEST_F(BufferedWindowStoreTest, SegmentExpiryIsHiddenAtOnceButDeletedOnlyAtCommit) {
  auto store = open();
  ASSERT_TRUE(store->put(b("old"), b("1"), 10).ok());  // segment 0
  ASSERT_TRUE(uncommitted_.commit().ok());
  ASSERT_TRUE(segment_on_disk("win.0"));
  // Stream time 200 expires segment 0 (times < 101).
  ASSERT_TRUE(store->put(b("new"), b("2"), 200).ok());
  EXPECT_EQ(drain_windows(store->fetch_all(0, 300)), (Windows{{"new", 200, "2"}}));
  EXPECT_EQ(store->fetch(b("old"), 10)->has_value(), false);
  ASSERT_TRUE(store->flush().ok());
  EXPECT_TRUE(segment_on_disk("win.0")) << "the expired segment must stay until the commit";
  EXPECT_TRUE(segment_on_disk("win.200"));

  store.reset();  // crash before the commit
  store = open();
  EXPECT_EQ(drain_windows(store->fetch_all(0, 300)), (Windows{{"old", 10, "1"}}));

  ASSERT_TRUE(store->put(b("new"), b("2"), 200).ok());
  ASSERT_TRUE(uncommitted_.commit().ok());
  // Both expired segments (0, and 50, which was opened ahead of 0) are gone with the commit.
  EXPECT_FALSE(segment_on_disk("win.0"));
  EXPECT_FALSE(segment_on_disk("win.50"));
  EXPECT_TRUE(segment_on_disk("win.200"));
  store.reset();
  store = open();
  EXPECT_EQ(drain_windows(store->fetch_all(0, 300)), (Windows{{"new", 200, "2"}}));
}

TEST_F(BufferedWindowStoreTest, StreamTimeIsRecoveredPastAnEmptyUncommittedSegment) {
  auto store = open();
  ASSERT_TRUE(store->put(b("k"), b("1"), 60).ok());  // segment 1
  ASSERT_TRUE(uncommitted_.commit().ok());
  ASSERT_TRUE(store->put(b("k"), b("2"), 120).ok());  // segment 2, never committed
  store.reset();
  store = open();
  EXPECT_EQ(store->observed_stream_time(), 60);
}

using Sessions = std::vector<std::tuple<std::string, Timestamp, Timestamp, std::string>>;

Sessions drain_sessions(Result<std::unique_ptr<SessionStoreIterator>> it) {
  EXPECT_TRUE(it.ok()) << it.status();
  Sessions out;
  if (!it.ok()) return out;
  for (; (*it)->valid(); (*it)->next()) {
    out.emplace_back((*it)->key().as_string_view(), (*it)->session().start_ms,
                     (*it)->session().end_ms, (*it)->value().as_string_view());
  }
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status();
  return out;
}

class BufferedSessionStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SessionStore> open() {
    SessionStoreOptions options;
    options.retention_ms = 100;
    options.segment_interval_ms = 50;
    RocksDbStoreOptions rocksdb;
    rocksdb.uncommitted_writes = &uncommitted_;
    auto store = open_rocksdb_session_store("ses", dir_.path() / "ses", options, rocksdb);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  TempDir dir_;
  UncommittedWrites uncommitted_;
};

TEST_F(BufferedSessionStoreTest, ACrashBeforeCommitLeavesOnlyCommittedSessionsOnDisk) {
  auto store = open();
  ASSERT_TRUE(store->put(b("k"), Window{0, 10}, b("committed")).ok());
  ASSERT_TRUE(uncommitted_.commit().ok());
  ASSERT_TRUE(store->remove(b("k"), Window{0, 10}).ok());
  ASSERT_TRUE(store->put(b("k"), Window{0, 30}, b("merged")).ok());
  EXPECT_EQ(drain_sessions(store->fetch(b("k"))), (Sessions{{"k", 0, 30, "merged"}}));
  store.reset();
  store = open();
  EXPECT_EQ(drain_sessions(store->fetch(b("k"))), (Sessions{{"k", 0, 10, "committed"}}));
}

TEST_F(BufferedSessionStoreTest, ExpiredSegmentsSurviveACrashBeforeCommitAndGoAfterIt) {
  auto store = open();
  ASSERT_TRUE(store->put(b("old"), Window{0, 10}, b("1")).ok());
  ASSERT_TRUE(uncommitted_.commit().ok());
  ASSERT_TRUE(store->put(b("new"), Window{190, 200}, b("2")).ok());
  EXPECT_EQ(drain_sessions(store->fetch(b("old"))), Sessions{});
  store.reset();
  store = open();
  EXPECT_EQ(drain_sessions(store->fetch(b("old"))), (Sessions{{"old", 0, 10, "1"}}));
  ASSERT_TRUE(store->put(b("new"), Window{190, 200}, b("2")).ok());
  ASSERT_TRUE(uncommitted_.commit().ok());
  store.reset();
  store = open();
  EXPECT_EQ(drain_sessions(store->fetch(b("old"))), Sessions{});
  EXPECT_EQ(drain_sessions(store->fetch(b("new"))), (Sessions{{"new", 190, 200, "2"}}));
}

}  // namespace uncommitted_writes_test
}  // namespace runnel::state
