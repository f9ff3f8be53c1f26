// WriteOverlay: the uncommitted writes of a buffered RocksDB store, one entry per key (a value
// or a tombstone), in RocksDB's bytewise order, with the byte count of the WriteBatch its
// commit writes. How reads merge it with RocksDB is tested in
// rocksdb_buffered_iteration_test.cc.

#include "state/internal/write_overlay.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include "tests/state/store_test_util.h"

namespace runnel::state::internal {
namespace write_overlay_test {

using state::testing::b;

// (key, value or "<deleted>") in the overlay's order.
using Listing = std::vector<std::pair<std::string, std::string>>;

Listing list(const WriteOverlay& overlay) {
  Listing out;
  for (const auto& [key, entry] : overlay.entries()) {
    out.emplace_back(key.to_string(), entry ? entry->to_string() : "<deleted>");
  }
  return out;
}

Listing list(const WriteOverlay::RangeCopy& copy) {
  Listing out;
  for (std::size_t i = 0; i < copy.size(); ++i) {
    out.emplace_back(
        std::string(copy.key(i).as_string_view()),
        copy.is_tombstone(i) ? "<deleted>" : std::string(copy.value(i).as_string_view()));
  }
  return out;
}

// The data size of the WriteBatch a commit of `overlay` writes, built as the store builds it.
std::size_t write_batch_size(const WriteOverlay& overlay) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, entry] : overlay.entries()) {
    rocksdb::Slice k(reinterpret_cast<const char*>(key.data()), key.size());
    if (entry) {
      EXPECT_TRUE(
          batch.Put(k, rocksdb::Slice(reinterpret_cast<const char*>(entry->data()), entry->size()))
              .ok());
    } else {
      EXPECT_TRUE(batch.Delete(k).ok());
    }
  }
  return batch.GetDataSize();
}

TEST(WriteOverlayTest, KnowsNothingOfKeysNeverWritten) {
  WriteOverlay overlay;
  EXPECT_EQ(overlay.find(b("k")), nullptr);
  overlay.put(b("k"), b("v"));
  EXPECT_EQ(overlay.find(b("j")), nullptr);
  EXPECT_EQ(overlay.find(b(std::string("k\0", 2))), nullptr);
  EXPECT_EQ(overlay.find(b("")), nullptr);
}

TEST(WriteOverlayTest, AGetSeesTheLastPutOfAKey) {
  WriteOverlay overlay;
  overlay.put(b("k"), b("first"));
  overlay.put(b("k"), b("second, longer"));
  overlay.put(b("k"), b("3"));
  const WriteOverlay::Entry* entry = overlay.find(b("k"));
  ASSERT_NE(entry, nullptr);
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->to_string(), "3");
  EXPECT_EQ(overlay.size(), 1u);  // Rewrites replace the entry.
}

TEST(WriteOverlayTest, ADeleteIsATombstoneThatAPutReplaces) {
  WriteOverlay overlay;
  overlay.put(b("k"), b("v"));
  overlay.erase(b("k"));
  overlay.erase(b("never-put"));  // Hides what RocksDB may hold for it.
  const WriteOverlay::Entry* entry = overlay.find(b("k"));
  ASSERT_NE(entry, nullptr);
  EXPECT_FALSE(entry->has_value());
  entry = overlay.find(b("never-put"));
  ASSERT_NE(entry, nullptr);
  EXPECT_FALSE(entry->has_value());

  overlay.put(b("k"), b("again"));
  entry = overlay.find(b("k"));
  ASSERT_NE(entry, nullptr);
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->to_string(), "again");
}

TEST(WriteOverlayTest, EmptyKeysAndValuesAreEntriesLikeAnyOther) {
  WriteOverlay overlay;
  overlay.put(b(""), b(""));
  const WriteOverlay::Entry* entry = overlay.find(b(""));
  ASSERT_NE(entry, nullptr);
  ASSERT_TRUE(entry->has_value());
  EXPECT_TRUE((*entry)->empty());
  EXPECT_EQ(list(overlay), (Listing{{"", ""}}));
}

TEST(WriteOverlayTest, EntriesAscendByUnsignedBytesAsRocksDbOrdersThem) {
  WriteOverlay overlay;
  const std::string high("\xff", 1), zero_suffix("a\0", 2), low_then_high("a\x80", 2);
  overlay.put(b(high), b("1"));
  overlay.put(b(low_then_high), b("2"));
  overlay.put(b(zero_suffix), b("3"));
  overlay.put(b("a"), b("4"));
  overlay.erase(b("B"));
  EXPECT_EQ(
      list(overlay),
      (Listing{
          {"B", "<deleted>"}, {"a", "4"}, {zero_suffix, "3"}, {low_then_high, "2"}, {high, "1"}}));
}

TEST(WriteOverlayTest, BatchBytesIsTheSizeOfTheWriteBatchItsCommitWrites) {
  WriteOverlay overlay;
  EXPECT_EQ(overlay.batch_bytes(), 0u);
  overlay.put(b("a"), b("1"));
  EXPECT_EQ(overlay.batch_bytes(), write_batch_size(overlay));
  // Lengths of 128 and more take two varint bytes in the batch.
  overlay.put(b(std::string(200, 'k')), b(std::string(20000, 'v')));
  overlay.erase(b("gone"));
  EXPECT_EQ(overlay.batch_bytes(), write_batch_size(overlay));
  // Rewrites change the size of an entry rather than adding one.
  overlay.put(b("a"), b(std::string(300, 'x')));
  overlay.erase(b(std::string(200, 'k')));
  overlay.put(b("gone"), b("back"));
  EXPECT_EQ(overlay.batch_bytes(), write_batch_size(overlay));
  overlay.put(b("a"), b("1"));
  EXPECT_EQ(overlay.batch_bytes(), write_batch_size(overlay));
}

TEST(WriteOverlayTest, ClearForgetsEveryEntryAndItsBytes) {
  WriteOverlay overlay;
  overlay.put(b("a"), b("1"));
  overlay.erase(b("b"));
  overlay.clear();
  EXPECT_TRUE(overlay.empty());
  EXPECT_EQ(overlay.batch_bytes(), 0u);
  EXPECT_EQ(overlay.find(b("a")), nullptr);
  EXPECT_EQ(overlay.find(b("b")), nullptr);
  overlay.put(b("c"), b("3"));
  EXPECT_EQ(list(overlay), (Listing{{"c", "3"}}));
  EXPECT_EQ(overlay.batch_bytes(), write_batch_size(overlay));
}

TEST(WriteOverlayTest, ARangeCopyHoldsTheRangeTombstonesIncludedAndOutlivesLaterWrites) {
  WriteOverlay overlay;
  overlay.put(b("a"), b("1"));
  overlay.erase(b("b"));
  overlay.put(b("c"), b("3"));
  overlay.erase(b("d"));
  overlay.put(b("e"), b("5"));
  WriteOverlay::RangeCopy copy =
      overlay.copy_range(b("b"), [](BytesView key) { return key <= BytesView(b("d")); });
  overlay.put(b("c"), b("rewritten"));
  overlay.put(b("b"), b("revived"));
  overlay.clear();
  EXPECT_EQ(list(copy), (Listing{{"b", "<deleted>"}, {"c", "3"}, {"d", "<deleted>"}}));
}

TEST(WriteOverlayTest, ARangeCopyStartsAtTheFirstKeyNotBelowItsStart) {
  WriteOverlay overlay;
  overlay.put(b("p1"), b("1"));
  overlay.put(b("p2"), b("2"));
  overlay.put(b("q"), b("3"));
  auto prefix_p = [](BytesView key) { return key.size() >= 1 && key[0] == 'p'; };
  EXPECT_EQ(list(overlay.copy_range(b("p"), prefix_p)), (Listing{{"p1", "1"}, {"p2", "2"}}));
  EXPECT_EQ(list(overlay.copy_range(b("p15"), prefix_p)), (Listing{{"p2", "2"}}));
  EXPECT_TRUE(overlay.copy_range(b("r"), [](BytesView) { return true; }).empty());
}

}  // namespace write_overlay_test
}  // namespace runnel::state::internal
