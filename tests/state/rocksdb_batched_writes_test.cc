// At-least-once write batching in a RocksDB store (RocksDbStoreOptions::write_batch_bytes):
// writes wait in the overlay until it passes its bound, a flush() or a close(); reads see
// them all along, and nothing written is lost by a clean close.

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "state/rocksdb_key_value_store.h"
#include "tests/state/store_test_util.h"
#include "tests/state/temp_dir.h"

namespace runnel::state {
namespace rocksdb_batched_writes_test {

using testing::b;
using testing::drain;
using testing::Entries;
using testing::TempDir;

class RocksDbBatchedWritesTest : public ::testing::Test {
 protected:
  void open(std::size_t batch_bytes) {
    RocksDbStoreOptions options;
    options.write_batch_bytes = batch_bytes;
    auto opened = RocksDbKeyValueStore::open("kv", dir_.path() / "kv", options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  // The entries RocksDB itself holds (not the overlay), read by reopening the store without
  // batching after a close: what survives.
  Entries reopen_and_read_all() {
    EXPECT_TRUE(store_->close().ok());
    store_.reset();
    open(0);
    return drain(store_->all());
  }

  std::uint64_t entries_in_rocksdb() {
    Result<std::uint64_t> n = store_->approximate_num_entries();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : 0;
  }

  std::optional<std::string> get(const std::string& key) {
    Result<std::optional<Bytes>> value = store_->get(b(key));
    EXPECT_TRUE(value.ok()) << value.status();
    if (!value.ok() || !value->has_value()) return std::nullopt;
    return std::string((*value)->view().begin(), (*value)->view().end());
  }

  TempDir dir_;
  std::unique_ptr<RocksDbKeyValueStore> store_;
};

TEST_F(RocksDbBatchedWritesTest, WritesWaitInTheBatchUntilFlushYetReadsSeeThem) {
  open(1 << 20);
  EXPECT_TRUE(store_->batches_writes());
  EXPECT_FALSE(store_->buffered());
  ASSERT_TRUE(store_->put(b("a"), b("1")).ok());
  ASSERT_TRUE(store_->put(b("b"), b("2")).ok());
  ASSERT_TRUE(store_->put(b("c"), b("3")).ok());
  ASSERT_TRUE(store_->delete_key(b("b")).ok());
  // The estimate counts the batch's entries (a, the delete of b, c) while they wait.
  EXPECT_EQ(entries_in_rocksdb(), 3u);
  EXPECT_EQ(get("a"), "1");
  EXPECT_EQ(get("b"), std::nullopt);
  EXPECT_EQ(drain(store_->all()), (Entries{{"a", "1"}, {"c", "3"}}));

  ASSERT_TRUE(store_->flush().ok());
  // RocksDB's estimate counts a delete against a put: 2 puts (a, c) and a delete (b).
  EXPECT_EQ(entries_in_rocksdb(), 1u);
  EXPECT_EQ(drain(store_->all()), (Entries{{"a", "1"}, {"c", "3"}}));
}

TEST_F(RocksDbBatchedWritesTest, ACleanCloseKeepsEveryWriteStillInTheBatch) {
  open(1 << 20);
  ASSERT_TRUE(store_->put(b("kept"), b("1")).ok());
  ASSERT_TRUE(store_->put(b("gone"), b("2")).ok());
  ASSERT_TRUE(store_->flush().ok());
  ASSERT_TRUE(store_->delete_key(b("gone")).ok());
  ASSERT_TRUE(store_->put(b("late"), b("3")).ok());
  EXPECT_EQ(reopen_and_read_all(), (Entries{{"kept", "1"}, {"late", "3"}}));
}

TEST_F(RocksDbBatchedWritesTest, AnIteratorKeepsWhatItSawWhenTheBatchIsWrittenUnderIt) {
  open(1 << 20);
  ASSERT_TRUE(store_->put(b("a"), b("1")).ok());
  ASSERT_TRUE(store_->flush().ok());
  ASSERT_TRUE(store_->put(b("b"), b("2")).ok());
  auto it = store_->all();
  ASSERT_TRUE(it.ok()) << it.status();
  ASSERT_TRUE(store_->put(b("c"), b("3")).ok());
  ASSERT_TRUE(store_->delete_key(b("a")).ok());
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(drain(**it), (Entries{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(drain(store_->all()), (Entries{{"b", "2"}, {"c", "3"}}));
}

TEST_F(RocksDbBatchedWritesTest, RestoredRecordsAfterBatchedWritesKeepTheirOrder) {
  open(1 << 20);
  ASSERT_TRUE(store_->put(b("k"), b("written")).ok());
  const Bytes k = b("k"), gone = b("gone"), restored_value = b("restored");
  std::vector<RestoreRecord> records{{k, restored_value}, {gone, std::nullopt}};
  ASSERT_TRUE(store_->restore_batch(records).ok());
  EXPECT_EQ(get("k"), "restored");
  EXPECT_EQ(reopen_and_read_all(), (Entries{{"k", "restored"}}));
}

// Random puts, deletes, reads, scans (some held across later writes), flushes and restored
// batches on a store whose small bound makes batches go to RocksDB at random moments, against
// a std::map model; at the end, what a reopened store holds equals the model.
TEST_F(RocksDbBatchedWritesTest, MatchesAMapModelWhateverMomentTheBatchesAreWritten) {
  open(200);
  std::mt19937 random(20261207);
  auto random_key = [&] { return "k" + std::to_string(random() % 40); };
  std::map<std::string, std::string> model;
  struct Held {
    std::unique_ptr<KeyValueIterator> it;
    Entries expected;
  };
  std::vector<Held> held;
  auto model_range = [&](const std::string& from, const std::string& to) {
    Entries expected;
    for (auto it = model.lower_bound(from); it != model.end() && it->first <= to; ++it)
      expected.emplace_back(it->first, it->second);
    return expected;
  };

  for (int step = 0; step < 4000; ++step) {
    const unsigned op = random() % 100;
    if (op < 40) {
      const std::string key = random_key(), value = std::to_string(step);
      ASSERT_TRUE(store_->put(b(key), b(value)).ok());
      model[key] = value;
    } else if (op < 55) {
      const std::string key = random_key();
      ASSERT_TRUE(store_->delete_key(b(key)).ok());
      model.erase(key);
    } else if (op < 70) {
      const std::string key = random_key();
      EXPECT_EQ(get(key), model.count(key) ? std::optional(model.at(key)) : std::nullopt);
    } else if (op < 85) {
      std::string from = random_key(), to = random_key();
      if (to < from) std::swap(from, to);
      Entries expected = model_range(from, to);
      auto it = store_->range(b(from), b(to));
      ASSERT_TRUE(it.ok()) << it.status();
      if (random() % 4 == 0 && held.size() < 40) {
        held.push_back(Held{std::move(*it), std::move(expected)});
      } else {
        ASSERT_EQ(drain(**it), expected);
      }
    } else if (op < 92) {
      const std::string key = random_key(), value = "r" + std::to_string(step);
      const Bytes key_bytes = b(key), value_bytes = b(value);
      std::vector<RestoreRecord> records{{key_bytes, value_bytes}};
      ASSERT_TRUE(store_->restore_batch(records).ok());
      model[key] = value;
    } else {
      ASSERT_TRUE(store_->flush().ok());
    }
  }
  for (Held& h : held) EXPECT_EQ(drain(*h.it), h.expected);
  held.clear();
  Entries expected = model_range("", "\xff");
  EXPECT_EQ(reopen_and_read_all(), expected);
}

}  // namespace rocksdb_batched_writes_test
}  // namespace runnel::state
