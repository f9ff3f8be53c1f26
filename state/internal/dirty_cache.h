#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <vector>

#include "core/bytes.h"
#include "core/timestamp.h"
#include "state/cache_budget.h"
#include "state/internal/bytes_less.h"

namespace runnel::state::internal {

// The bookkeeping shared by the window and session record caches: dirty entries by byte key
// (a null value is a cached delete), the order of their last write (least recently written
// first, as Kafka Streams' NamedCache), and their bytes charged to a CacheBudget.
//
// Why the order of last write: a windowed aggregation drops updates to closed windows, so a
// window's last write precedes the write of any record whose time closed it. Written down in
// this order, a window's final value reaches downstream before any record that carries a
// time past its close, which is what a downstream suppress that keeps its own stream time
// from the records it receives relies on. It knows nothing of the stores
// the entries go to; CachingWindowStore and CachingSessionStore decide what a key means and
// how an entry is written down.
//
// Not thread-safe: owned by one store.
class DirtyCache {
 public:
  // Bytes counted per entry besides its key and value (map node, order node, bookkeeping).
  static constexpr std::size_t kEntryOverhead = 96;

  struct Entry {
    NullableBytes value;  // Null: a cached delete.
    Timestamp timestamp;
    std::list<const Bytes*>::iterator order;  // Its place in order_.
  };
  using Map = std::map<Bytes, Entry, BytesLess>;

  // An entry taken out of the cache to be written down.
  struct Dirty {
    Bytes key;
    NullableBytes value;
    Timestamp timestamp;
  };

  // Where a write of a key already cached puts it in the order entries are taken (and
  // written down) in.
  enum class Requeue {
    kToBack,  // Order of last write (Kafka's NamedCache; the window and session caches).
    kKeep,    // Order of first write since the entry was taken (the key-value cache).
  };

  // `budget` is borrowed and must outlive the cache.
  explicit DirtyCache(CacheBudget& budget, Requeue requeue = Requeue::kToBack)
      : budget_(&budget), requeue_(requeue) {}
  // Gives the entries' bytes back to the budget.
  ~DirtyCache() { clear(); }
  DirtyCache(const DirtyCache&) = delete;
  DirtyCache& operator=(const DirtyCache&) = delete;

  // Sets the entry of `key`; a new key becomes the most recently written, a cached one too
  // under Requeue::kToBack.
  void write(BytesView key, NullableBytes value, Timestamp timestamp);
  // The entry of `key`, or null. Valid until the next write, take or erase.
  const Entry* find(BytesView key) const;
  // Drops the entry of `key`, if any, without writing it down.
  void erase(BytesView key);
  // Drops every entry without writing it down.
  void clear();

  // How many of the oldest entries must go for the budget to fit again (0 when it fits).
  std::size_t count_to_evict() const;
  // Takes the `count` oldest entries out of the cache, oldest first.
  std::vector<Dirty> take_oldest(std::size_t count);

  const Map& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  std::size_t cached_bytes() const { return cached_bytes_; }
  const CacheBudget& budget() const { return *budget_; }

 private:
  static std::size_t entry_bytes(BytesView key, const NullableBytes& value) {
    return key.size() + (value ? value->size() : 0) + kEntryOverhead;
  }
  void add_bytes(std::size_t bytes) {
    cached_bytes_ += bytes;
    budget_->charge(bytes);
  }
  void remove_bytes(std::size_t bytes) {
    cached_bytes_ -= bytes;
    budget_->release(bytes);
  }

  CacheBudget* budget_;
  const Requeue requeue_;
  Map entries_;
  std::list<const Bytes*> order_;  // Keys of entries_, the next to be taken first.
  std::size_t cached_bytes_ = 0;
};

}  // namespace runnel::state::internal
