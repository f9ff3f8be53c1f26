#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/bytes.h"
#include "core/result.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "state/key_value_store.h"

namespace runnel::state::internal {

// Records waiting for a time (for suppress: a window's latest value waiting for the window to
// close), kept in a borrowed KeyValueStore so that the store's change-logging makes them
// survive a restart. An entry is stored under
//   key   = time (8 bytes, big-endian) ++ the record's key bytes
//   value = record timestamp (8 bytes, big-endian) ++ the record's value bytes
// so the store's byte order is time order, and the entries of one time are one prefix.
//
// The buffer also keeps, in memory, the set of times it holds (a superset: a removed entry's
// time stays until evicted), so that a put that makes nothing due costs one store write and a
// set insert, and evict_until touches only the entries it emits: with an in-memory store
// (whose prefix scans copy only the prefix's entries), the cost of a record stream is linear
// in its records. That set is built from the store at the first call after construction, not
// in the constructor: a task restores its stores after its processors' init, so the store's
// contents are known only once records flow.
//
// Sizes: num_records() is the store's approximate_num_entries(), exact for an in-memory store.
// num_bytes() (the stored keys' and values' bytes) is kept only when constructed with
// track_bytes, which costs a get() per put, to learn the size an overwrite replaces.
//
// Finding a key whose time is not known (find: suppress until_time_limit keeps a key under the
// time of its first update) needs index_keys: an in-memory map from each entry's key bytes to
// its time, built with the set of times and costing a second copy of every buffered key. A
// buffer with index_keys holds at most one entry per key (put replaces a key's entry only at
// the same time: the caller finds the key first).
//
// Not thread-safe: owned by one task's thread, like its store.
class TimeOrderedKeyValueBuffer {
 public:
  // One buffered record, as evict_until hands it over. The views are valid during the call.
  struct Entry {
    Timestamp time;
    BytesView key;
    Timestamp record_timestamp;
    BytesView value;
  };
  // Called for each evicted entry; a non-OK status stops the eviction and is returned.
  using EmitFn = std::function<Status(const Entry&)>;

  // `store` is borrowed and must outlive the buffer; it should hold nothing but this
  // buffer's entries.
  TimeOrderedKeyValueBuffer(KeyValueStore& store, bool track_bytes, bool index_keys = false);

  // Sets the entry of (time, key), replacing any previous one. Fails with the store's error
  // (the entry may then be absent or stale), or Corruption when the store holds an entry this
  // buffer did not write.
  [[nodiscard]] Status put(Timestamp time, BytesView key, Timestamp record_timestamp,
                           BytesView value);
  // Removes the entry of (time, key), if any. Errors as put.
  [[nodiscard]] Status remove(Timestamp time, BytesView key);
  // Emits every entry with time <= limit, in order of (time, key bytes), and removes each
  // after its emit returned OK. On an error the entries not yet emitted stay buffered.
  [[nodiscard]] Status evict_until(Timestamp limit, const EmitFn& emit);
  // Emits and removes the earliest entries, in the same order, for as long as more() returns
  // true (asked before each entry) and the buffer is not empty. Errors as evict_until, or
  // more()'s.
  using MoreFn = std::function<Result<bool>()>;
  [[nodiscard]] Status evict_while(const MoreFn& more, const EmitFn& emit);

  // The entry of `key`, as evict_until would hand it over but owning its value; nullopt when
  // the key has none. Only for a buffer constructed with index_keys (InvalidArgument
  // otherwise). Errors as put.
  struct Found {
    Timestamp time;
    Timestamp record_timestamp;
    Bytes value;
  };
  [[nodiscard]] Result<std::optional<Found>> find(BytesView key);
  // A time no entry is earlier than (the earliest entry's, unless that entry was removed
  // since), or nullopt when the buffer is empty. Errors as put (the first call reads the
  // store).
  [[nodiscard]] Result<std::optional<Timestamp>> min_time();

  // The number of entries (exact for an in-memory store).
  [[nodiscard]] Result<std::uint64_t> num_records();
  // The bytes of the stored keys and values; 0 unless constructed with track_bytes.
  [[nodiscard]] Result<std::uint64_t> num_bytes();

 private:
  // Hashes the key bytes (as a string_view) so that find can look up a BytesView.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>()(key);
    }
  };

  Status load();
  void set_key(Timestamp time, BytesView key);
  // Deletes the stored entry `stored_key` (time ++ key) of `stored_size` bytes (key and
  // value) from the store and from the index.
  Status erase(BytesView stored_key, std::size_t stored_size);

  KeyValueStore& store_;
  const bool track_bytes_;
  const bool index_keys_;
  bool loaded_ = false;
  std::set<Timestamp> times_;  // Every entry's time is in it; valid once loaded_.
  std::uint64_t bytes_ = 0;    // Valid once loaded_, when track_bytes_.
  // Each entry's key bytes -> its time; valid once loaded_, when index_keys_.
  std::unordered_map<std::string, Timestamp, KeyHash, std::equal_to<>> index_;
  Bytes key_buffer_;    // Reused: the stored key of the current call.
  Bytes value_buffer_;  // Reused: the stored value of the current put.
};

}  // namespace runnel::state::internal
