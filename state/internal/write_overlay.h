#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "core/bytes.h"

namespace runnel::state::internal {

// The writes a buffered (exactly-once) RocksDB store holds back until its transaction
// commits: one entry per key, a value or a tombstone, in RocksDB's bytewise key order, over
// which reads see the store (see RocksDbKeyValueStore). A rewrite of a key replaces its
// entry in place, so the overlay holds what the commit will write and no more.
//
// It replaces a rocksdb::WriteBatchWithIndex, whose index compares keys by decoding them
// from the batch's bytes at every step of its skip list; here keys are compared where they
// lie, with memcmp.
//
// Not thread-safe: owned by its store, used from the store's thread.
class WriteOverlay {
 public:
  // Orders keys lexicographically by unsigned byte, as RocksDB's BytewiseComparator does.
  // Inline (BytesView's operator<=> is not), since it is the overlay's inner loop.
  struct KeyLess {
    using is_transparent = void;
    bool operator()(BytesView a, BytesView b) const noexcept {
      const std::size_t common = a.size() < b.size() ? a.size() : b.size();
      const int c = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
      return c < 0 || (c == 0 && a.size() < b.size());
    }
  };

  // One buffered write: the new value, or nullopt for a delete.
  using Entry = std::optional<Bytes>;
  using Map = std::map<Bytes, Entry, KeyLess>;

  // A copy of the overlay's entries in a key range, taken by an iterator when it is created
  // so that later writes, a commit or a discard change nothing it reads. Entries ascend by
  // key; keys and values live in one buffer (two allocations per copy, not two per entry).
  class RangeCopy {
   public:
    RangeCopy() = default;

    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    // The i-th entry (ascending), i < size(). The views stay valid while the copy lives.
    BytesView key(std::size_t i) const {
      return BytesView(bytes_.data() + entries_[i].key_offset, entries_[i].key_size);
    }
    bool is_tombstone(std::size_t i) const { return entries_[i].tombstone; }
    // Requires !is_tombstone(i).
    BytesView value(std::size_t i) const {
      return BytesView(bytes_.data() + entries_[i].value_offset, entries_[i].value_size);
    }

   private:
    friend class WriteOverlay;
    struct Slot {
      std::size_t key_offset;
      std::size_t key_size;
      std::size_t value_offset;
      std::size_t value_size;
      bool tombstone;
    };
    std::vector<std::uint8_t> bytes_;
    std::vector<Slot> entries_;
  };

  WriteOverlay() = default;
  WriteOverlay(const WriteOverlay&) = delete;
  WriteOverlay& operator=(const WriteOverlay&) = delete;

  // What the overlay holds for `key`: null if nothing (read RocksDB), else the buffered
  // write — a value, or nullopt for a delete, which hides whatever RocksDB holds. The
  // pointer is valid until the next write, clear() or destruction.
  const Entry* find(BytesView key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }

  // Buffers `key` = `value`, replacing what the overlay held for `key`. Copies both.
  void put(BytesView key, BytesView value);
  // Buffers a delete of `key` (a tombstone: it hides the key in RocksDB until the commit
  // deletes it there), replacing what the overlay held for `key`.
  void erase(BytesView key);

  // Copies the entries with `from` <= key, up to the first key (ascending) for which
  // `in_range(key)` is false. `in_range` must hold for a prefix of the keys >= from.
  template <typename InRange>
  RangeCopy copy_range(BytesView from, InRange in_range) const {
    RangeCopy copy;
    const auto first = entries_.lower_bound(from);
    auto last = first;
    std::size_t bytes = 0;
    std::size_t count = 0;
    for (; last != entries_.end() && in_range(last->first.view()); ++last) {
      bytes += last->first.size() + (last->second ? last->second->size() : 0);
      ++count;
    }
    copy.bytes_.reserve(bytes);
    copy.entries_.reserve(count);
    for (auto it = first; it != last; ++it) copy_entry(copy, it->first, it->second);
    return copy;
  }

  // The entries, ascending by key: what the commit writes.
  const Map& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  // The size of the rocksdb::WriteBatch that writing the entries as Puts and Deletes makes
  // (RocksDB's WriteBatch::GetDataSize(), its 12-byte header included), or 0 when empty:
  // what UncommittedWrites::uncommitted_bytes() reports and the commit batch reserves.
  std::size_t batch_bytes() const {
    return entries_.empty() ? 0 : kBatchHeaderBytes + record_bytes_;
  }

  // Forgets every entry: after a commit wrote them, or on a discard.
  void clear();

 private:
  // rocksdb::WriteBatch's header: an 8-byte sequence number and a 4-byte count.
  static constexpr std::size_t kBatchHeaderBytes = 12;
  // The bytes one Put or Delete record takes in a rocksdb::WriteBatch.
  static std::size_t record_bytes(std::size_t key_size, const Entry& entry);
  static void copy_entry(RangeCopy& copy, const Bytes& key, const Entry& entry);

  Map entries_;
  // Sum of record_bytes() over entries_.
  std::size_t record_bytes_ = 0;
};

}  // namespace runnel::state::internal
