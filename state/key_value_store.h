#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "core/status.h"

namespace runnel::state {

// One key-value pair, owned.
struct KeyValue {
  Bytes key;
  Bytes value;
};

// One changelog record as a store applies it when restoring: a null value is a tombstone
// (the key is deleted). Borrowed bytes; the caller keeps them alive for the call.
struct RestoreRecord {
  BytesView key;
  NullableBytesView value;
};

// A forward or reverse cursor over key-value pairs of a store.
//
// Snapshot semantics: an iterator sees the store as it was when the iterator was created.
// Writes made afterwards (typically by the same thread, e.g. a processor that updates the
// keys it is scanning) neither appear in it nor invalidate it. Closing the store ends its
// iterators safely: a RocksDB store's become invalid with status() Aborted, an in-memory
// store's read on from their copy; an iterator may outlive its store object.
//
// key() and value() may be called only while valid(); the views they return stay valid until
// the next call to next() or the iterator's destruction. Not thread-safe; an iterator
// belongs to the thread that owns its store.
class KeyValueIterator {
 public:
  virtual ~KeyValueIterator() = default;

  // Whether the iterator is positioned on an entry. False at the end and after an error.
  virtual bool valid() const = 0;
  virtual BytesView key() const = 0;
  virtual BytesView value() const = 0;
  // Moves to the following entry (in the iterator's direction). Requires valid().
  virtual void next() = 0;
  // OK unless iteration stopped early because of an error (I/O, store closed).
  virtual Status status() const = 0;
};

// A store of byte keys and byte values, ordered lexicographically by unsigned byte value (the
// order of RocksDB's bytewise comparator and of BytesView's operator<=>).
//
// This is the plain byte store that features are layered onto as decorators (change-logging,
// caching, metering: see change_logging_key_value_store.h and friends). Implementations:
// InMemoryKeyValueStore and RocksDbKeyValueStore.
//
// Thread safety: a store is owned by one stream task and used from the thread that runs it;
// implementations are not thread-safe unless they say so.
//
// Every operation on a closed store returns an error (Aborted) naming the store.
class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;

  // The store's name, as given by the application (e.g. "counts-store").
  virtual const std::string& name() const = 0;
  virtual bool is_open() const = 0;

  // The value of `key`, or nullopt when absent.
  [[nodiscard]] virtual Result<std::optional<Bytes>> get(BytesView key) = 0;
  // Sets `key` to `value`, replacing any previous value.
  [[nodiscard]] virtual Status put(BytesView key, BytesView value) = 0;
  // Puts every entry, in order (a later entry for the same key wins). On an error some
  // entries may have been applied.
  [[nodiscard]] virtual Status put_all(std::span<const KeyValue> entries) = 0;
  // Puts `value` only if `key` is absent. Returns the value already there (nothing was
  // written), or nullopt when the put happened.
  [[nodiscard]] virtual Result<std::optional<Bytes>> put_if_absent(BytesView key,
                                                                   BytesView value) = 0;
  // Removes `key`. Returns the value it had, or nullopt if it was absent.
  [[nodiscard]] virtual Result<std::optional<Bytes>> delete_key(BytesView key) = 0;

  // Entries with from <= key <= to (both inclusive, as in Kafka Streams), ascending.
  // Empty when from > to.
  [[nodiscard]] virtual Result<std::unique_ptr<KeyValueIterator>> range(BytesView from,
                                                                        BytesView to) = 0;
  // The same entries as range(from, to), descending.
  [[nodiscard]] virtual Result<std::unique_ptr<KeyValueIterator>> reverse_range(BytesView from,
                                                                                BytesView to) = 0;
  // Entries whose key starts with `prefix`, ascending. An empty prefix gives every entry.
  [[nodiscard]] virtual Result<std::unique_ptr<KeyValueIterator>> prefix_scan(BytesView prefix) = 0;
  // Every entry, ascending.
  [[nodiscard]] virtual Result<std::unique_ptr<KeyValueIterator>> all() = 0;

  // An estimate of the number of entries: exact for in-memory stores, RocksDB's estimate
  // (which counts overwrites and deletes not yet compacted) for RocksDB stores.
  [[nodiscard]] virtual Result<std::uint64_t> approximate_num_entries() = 0;

  // Makes every write so far durable in the store's own medium (memtables to disk for
  // RocksDB) and pushes buffered writes down (for decorators). Called at commit, before the
  // checkpoint file is written.
  [[nodiscard]] virtual Status flush() = 0;
  // Flushes and releases the store's resources. Open iterators become invalid. Closing a
  // closed store is OK and does nothing.
  [[nodiscard]] virtual Status close() = 0;

  // Applies changelog records in order, as they were read from the store's changelog topic,
  // bypassing change-logging (restoring must not write the changelog it reads) and caching.
  [[nodiscard]] virtual Status restore_batch(std::span<const RestoreRecord> records) = 0;
};

// The error every store returns for an operation after close().
Status store_closed_error(std::string_view store_name);

}  // namespace runnel::state
