// How a RocksDB store's reads combine its uncommitted writes (the WriteOverlay of buffered,
// exactly-once mode) with what RocksDB holds: overlay entries replace RocksDB's, tombstones
// hide them, iterators keep what they saw when they were made; and where ranges end now
// that RocksDB's iteration is bounded (keys just past a range's end, prefixes of 0xff bytes),
// in both modes.

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "state/rocksdb_key_value_store.h"
#include "state/uncommitted_writes.h"
#include "tests/state/store_test_util.h"
#include "tests/state/temp_dir.h"

namespace runnel::state {
namespace rocksdb_buffered_iteration_test {

using testing::b;
using testing::drain;
using testing::Entries;
using testing::TempDir;

// Bytes from a string with embedded NULs or high bytes, e.g. s("c\0", 2).
std::string s(const char* data, std::size_t size) { return std::string(data, size); }

class RocksDbIterationTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    RocksDbStoreOptions options;
    if (buffered()) options.uncommitted_writes = &uncommitted_;
    auto opened = RocksDbKeyValueStore::open("kv", dir_.path() / "kv", options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  bool buffered() const { return GetParam(); }

  // Puts every key (value "v") and commits, then puts `uncommitted` keys (value "u"), which
  // stay in the overlay when the store is buffered.
  void write(const std::vector<std::string>& committed,
             const std::vector<std::string>& uncommitted = {}) {
    for (const std::string& key : committed) ASSERT_TRUE(store_->put(b(key), b("v")).ok());
    ASSERT_TRUE(uncommitted_.commit().ok());
    for (const std::string& key : uncommitted) ASSERT_TRUE(store_->put(b(key), b("u")).ok());
  }

  TempDir dir_;
  UncommittedWrites uncommitted_;
  std::unique_ptr<RocksDbKeyValueStore> store_;
};

TEST_P(RocksDbIterationTest, RangesEndAtTheirLastKeyAndNotAtTheKeysJustAfterIt) {
  const std::string c0 = s("c\0", 2), c00 = s("c\0\0", 3);
  write({"b", "c", c00, "d"}, {c0});
  EXPECT_EQ(drain(store_->range(b("a"), b("c"))), (Entries{{"b", "v"}, {"c", "v"}}));
  EXPECT_EQ(drain(store_->reverse_range(b("a"), b("c"))), (Entries{{"c", "v"}, {"b", "v"}}));
  EXPECT_EQ(drain(store_->range(b(c0), b(c0))), (Entries{{c0, "u"}}));
  EXPECT_EQ(drain(store_->reverse_range(b("c"), b(c0))), (Entries{{c0, "u"}, {"c", "v"}}));
  EXPECT_EQ(drain(store_->range(b(c0), b("d"))), (Entries{{c0, "u"}, {c00, "v"}, {"d", "v"}}));
}

TEST_P(RocksDbIterationTest, RangesWhoseStartIsAfterTheirEndAreEmpty) {
  write({"a", "b", "c", "d"}, {"bb", "cc"});
  EXPECT_EQ(drain(store_->range(b("d"), b("b"))), Entries{});
  EXPECT_EQ(drain(store_->reverse_range(b("d"), b("b"))), Entries{});
}

TEST_P(RocksDbIterationTest, PrefixScansOfPrefixesEndingInHighBytes) {
  const std::string p = s("\x01\xff", 2);
  const std::string in1 = p, in2 = s("\x01\xff\x00", 3), in3 = s("\x01\xff\xff\x07", 4);
  const std::string before = s("\x01\xfe\xff", 3), after = s("\x02", 1);
  write({before, in1, in3, after}, {in2});
  EXPECT_EQ(drain(store_->prefix_scan(b(p))), (Entries{{in1, "v"}, {in2, "u"}, {in3, "v"}}));

  // A prefix of 0xff bytes only has no successor: the scan runs to the end of the store.
  const std::string ff = s("\xff", 1), ff2 = s("\xff\xff\x01", 3), fe = s("\xfe", 1);
  write({fe, ff}, {ff2});
  EXPECT_EQ(drain(store_->prefix_scan(b(ff))), (Entries{{ff, "v"}, {ff2, "u"}}));
  EXPECT_EQ(drain(store_->prefix_scan(b(s("\xff\xff", 2)))), (Entries{{ff2, "u"}}));
}

TEST_P(RocksDbIterationTest, AllAndTheEmptyPrefixSeeEveryKey) {
  write({"", "a", s("\xff", 1)}, {"b"});
  const Entries every{{"", "v"}, {"a", "v"}, {"b", "u"}, {s("\xff", 1), "v"}};
  EXPECT_EQ(drain(store_->all()), every);
  EXPECT_EQ(drain(store_->prefix_scan(b(""))), every);
}

INSTANTIATE_TEST_SUITE_P(DirectAndBuffered, RocksDbIterationTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Buffered") : std::string("Direct");
                         });

class BufferedIterationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(reopen()); }

  void reopen() {
    store_.reset();
    RocksDbStoreOptions options;
    options.uncommitted_writes = &uncommitted_;
    auto opened = RocksDbKeyValueStore::open("kv", dir_.path() / "kv", options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  void put(std::string_view key, std::string_view value) {
    ASSERT_TRUE(store_->put(b(key), b(value)).ok());
  }
  void remove(std::string_view key) { ASSERT_TRUE(store_->delete_key(b(key)).ok()); }
  void commit() { ASSERT_TRUE(uncommitted_.commit().ok()); }
  std::optional<std::string> get(std::string_view key) {
    auto value = store_->get(b(key));
    EXPECT_TRUE(value.ok()) << value.status();
    if (!value.ok() || !*value) return std::nullopt;
    return (*value)->to_string();
  }

  // Commits a..e = 1..5, then buffers: b and d deleted (the edges of b..d), c rewritten, bb
  // added, a rewritten and e deleted (outside b..d).
  void committed_then_buffered() {
    for (const char* key : {"a", "b", "c", "d", "e"}) put(key, std::string(1, key[0] - 'a' + '1'));
    commit();
    remove("b");
    remove("d");
    put("c", "33");
    put("bb", "22");
    put("a", "11");
    remove("e");
  }

  TempDir dir_;
  UncommittedWrites uncommitted_;
  std::unique_ptr<RocksDbKeyValueStore> store_;
};

TEST_F(BufferedIterationTest, ForwardRangesMergeTheOverlayOverRocksDb) {
  committed_then_buffered();
  EXPECT_EQ(drain(store_->range(b("b"), b("d"))), (Entries{{"bb", "22"}, {"c", "33"}}));
  EXPECT_EQ(drain(store_->range(b("a"), b("e"))),
            (Entries{{"a", "11"}, {"bb", "22"}, {"c", "33"}}));
  EXPECT_EQ(drain(store_->range(b("d"), b("e"))), Entries{});
  EXPECT_EQ(drain(store_->all()), (Entries{{"a", "11"}, {"bb", "22"}, {"c", "33"}}));
}

TEST_F(BufferedIterationTest, ReverseRangesMergeTheOverlayOverRocksDb) {
  committed_then_buffered();
  EXPECT_EQ(drain(store_->reverse_range(b("b"), b("d"))), (Entries{{"c", "33"}, {"bb", "22"}}));
  EXPECT_EQ(drain(store_->reverse_range(b("a"), b("e"))),
            (Entries{{"c", "33"}, {"bb", "22"}, {"a", "11"}}));
  EXPECT_EQ(drain(store_->reverse_range(b("d"), b("e"))), Entries{});
  EXPECT_EQ(drain(store_->reverse_range(b("a"), b("a"))), (Entries{{"a", "11"}}));
}

TEST_F(BufferedIterationTest, PrefixScansMergeTheOverlayWithTombstonesAtThePrefixEdges) {
  for (const char* key : {"o", "p", "p1", "p2", "q"}) put(key, "v");
  commit();
  remove("p");   // the prefix's first key
  remove("p2");  // its last
  put("p15", "u");
  put("p3", "u");
  remove("p3");  // never committed: its tombstone hides nothing and shows nothing
  EXPECT_EQ(drain(store_->prefix_scan(b("p"))), (Entries{{"p1", "v"}, {"p15", "u"}}));
  EXPECT_EQ(get("p"), std::nullopt);
  EXPECT_EQ(get("p3"), std::nullopt);
  EXPECT_EQ(get("p1"), "v");
}

TEST_F(BufferedIterationTest, DeletingEveryKeyOfARangeEmptiesIt) {
  for (const char* key : {"a", "b", "c"}) put(key, "v");
  commit();
  for (const char* key : {"a", "b", "c"}) remove(key);
  EXPECT_EQ(drain(store_->all()), Entries{});
  EXPECT_EQ(drain(store_->reverse_range(b("a"), b("c"))), Entries{});
  EXPECT_EQ(drain(store_->prefix_scan(b("b"))), Entries{});
}

TEST_F(BufferedIterationTest, IteratorsKeepWhatTheySawAcrossLaterWritesCommitAndDiscard) {
  committed_then_buffered();
  auto forward = store_->range(b("a"), b("e"));
  auto reverse = store_->reverse_range(b("a"), b("e"));
  auto prefix = store_->prefix_scan(b("b"));
  ASSERT_TRUE(forward.ok() && reverse.ok() && prefix.ok());

  put("b", "revived");
  remove("c");
  put("bc", "new");
  commit();  // RocksDB now holds the writes; the iterators' copies and snapshots do not.
  put("a", "after commit");
  remove("bb");
  uncommitted_.discard();
  put("d", "after discard");

  EXPECT_EQ(drain(**forward), (Entries{{"a", "11"}, {"bb", "22"}, {"c", "33"}}));
  EXPECT_EQ(drain(**reverse), (Entries{{"c", "33"}, {"bb", "22"}, {"a", "11"}}));
  EXPECT_EQ(drain(**prefix), (Entries{{"bb", "22"}}));
  // And the store itself reads what was committed, then the write after the discard.
  EXPECT_EQ(
      drain(store_->all()),
      (Entries{
          {"a", "11"}, {"b", "revived"}, {"bb", "22"}, {"bc", "new"}, {"d", "after discard"}}));
}

TEST_F(BufferedIterationTest, ACommitEmptiesTheOverlayAndLeavesItsWritesInRocksDb) {
  committed_then_buffered();
  EXPECT_GT(uncommitted_.uncommitted_bytes(), 0u);
  commit();
  EXPECT_EQ(uncommitted_.uncommitted_bytes(), 0u);
  commit();  // Nothing buffered: nothing to do.
  const Entries expected{{"a", "11"}, {"bb", "22"}, {"c", "33"}};
  EXPECT_EQ(drain(store_->all()), expected);
  EXPECT_EQ(get("b"), std::nullopt);
  EXPECT_EQ(get("c"), "33");
  ASSERT_TRUE(store_->close().ok());
  ASSERT_NO_FATAL_FAILURE(reopen());  // What is in RocksDB, and nothing else.
  EXPECT_EQ(drain(store_->all()), expected);
}

TEST_F(BufferedIterationTest, DeleteReturnsTheValueTheOverlayOrRocksDbHeld) {
  put("committed", "1");
  commit();
  put("buffered", "2");
  auto removed = store_->delete_key(b("buffered"));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->value().to_string(), "2");
  removed = store_->delete_key(b("committed"));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->value().to_string(), "1");
  removed = store_->delete_key(b("committed"));  // Already deleted in the overlay.
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(removed->has_value());
}

// Random writes over keys of high and low bytes, with iterators (forward, reverse, prefix)
// made along the way and read at the end, against std::map models of what each iterator
// was made over and what is committed.
TEST_F(BufferedIterationTest, MatchesAMapModelWithIteratorsHeldAcrossWritesAndCommits) {
  std::mt19937 random(20261207);
  const unsigned char alphabet[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
  auto random_key = [&] {
    std::string key;
    const std::size_t size = random() % 4;
    for (std::size_t i = 0; i < size; ++i) key.push_back(static_cast<char>(alphabet[random() % 6]));
    return key;
  };
  // Unsigned byte order, as RocksDB's (std::string compares char, signed here).
  auto less = [](const std::string& x, const std::string& y) { return b(x).view() < b(y).view(); };
  using Model = std::map<std::string, std::string, decltype(less)>;
  Model visible(less), committed(less);

  struct Held {
    std::unique_ptr<KeyValueIterator> it;
    Entries expected;
  };
  std::vector<Held> held;
  auto expect_scan = [&](Result<std::unique_ptr<KeyValueIterator>> it, Entries expected,
                         bool hold) {
    ASSERT_TRUE(it.ok()) << it.status();
    if (hold && held.size() < 50) {
      held.push_back(Held{std::move(*it), std::move(expected)});
    } else {
      ASSERT_EQ(drain(**it), expected);
    }
  };

  for (int step = 0; step < 3000; ++step) {
    const unsigned op = random() % 100;
    const bool hold = random() % 8 == 0;
    if (op < 35) {
      const std::string key = random_key(), value = std::to_string(step);
      put(key, value);
      visible[key] = value;
    } else if (op < 55) {
      const std::string key = random_key();
      remove(key);
      visible.erase(key);
    } else if (op < 65) {
      const std::string key = random_key();
      EXPECT_EQ(get(key), visible.count(key) ? std::optional(visible.at(key)) : std::nullopt);
    } else if (op < 80) {
      std::string from = random_key(), to = random_key();
      Entries expected;
      for (auto it = visible.lower_bound(from); it != visible.end() && !less(to, it->first); ++it)
        expected.emplace_back(it->first, it->second);
      if (random() % 2 == 0) {
        expect_scan(store_->range(b(from), b(to)), expected, hold);
      } else {
        std::reverse(expected.begin(), expected.end());
        expect_scan(store_->reverse_range(b(from), b(to)), expected, hold);
      }
    } else if (op < 88) {
      std::string prefix = random_key();
      Entries expected;
      for (const auto& [key, value] : visible) {
        if (key.starts_with(prefix)) expected.emplace_back(key, value);
      }
      expect_scan(store_->prefix_scan(b(prefix)), expected, hold);
    } else if (op < 96) {
      commit();
      committed = visible;
    } else {
      uncommitted_.discard();
      visible = committed;
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (Held& h : held) EXPECT_EQ(drain(*h.it), h.expected);
}

}  // namespace rocksdb_buffered_iteration_test
}  // namespace runnel::state
