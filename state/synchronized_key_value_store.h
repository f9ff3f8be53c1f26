#pragma once

#include <memory>
#include <shared_mutex>
#include <span>
#include <string>

#include "state/key_value_store.h"

namespace runnel::state {

// A decorator that makes any KeyValueStore safe to share between threads: one writer (a
// global table's maintainer) and any number of readers (the stream threads' tasks joining
// against the table).
//
// Why a decorator and not "RocksDB is thread-safe": RocksDB's Get is, but the stores around
// it are not all so. RocksDbKeyValueStore registers every open iterator in a std::set that
// creating and destroying iterators mutate, and InMemoryKeyValueStore is a std::map that a put
// may rebalance under a concurrent find. So: get() and approximate_num_entries() run under a
// shared lock (readers proceed in parallel; the inner stores' lookups only read), every write,
// flush, close and restore under the exclusive lock. Iterators are copied under the exclusive
// lock into an iterator of their own that touches the inner store no more (the snapshot
// semantics the interface promises; the cost is a copy of the range, acceptable for the
// occasional scan of a global table, never on the join path, which only gets).
//
// Thread-safe; the iterators it returns are, as any, owned by one thread.
class SynchronizedKeyValueStore final : public KeyValueStore {
 public:
  explicit SynchronizedKeyValueStore(std::unique_ptr<KeyValueStore> inner)
      : inner_(std::move(inner)) {}

  const std::string& name() const override { return inner_->name(); }
  bool is_open() const override;

  Result<std::optional<Bytes>> get(BytesView key) override;
  Status put(BytesView key, BytesView value) override;
  Status put_all(std::span<const KeyValue> entries) override;
  Result<std::optional<Bytes>> put_if_absent(BytesView key, BytesView value) override;
  Result<std::optional<Bytes>> delete_key(BytesView key) override;
  Result<std::unique_ptr<KeyValueIterator>> range(BytesView from, BytesView to) override;
  Result<std::unique_ptr<KeyValueIterator>> reverse_range(BytesView from, BytesView to) override;
  Result<std::unique_ptr<KeyValueIterator>> prefix_scan(BytesView prefix) override;
  Result<std::unique_ptr<KeyValueIterator>> all() override;
  Result<std::uint64_t> approximate_num_entries() override;
  Status flush() override;
  Status close() override;
  Status restore_batch(std::span<const RestoreRecord> records) override;

  // The decorated store; not synchronized. For tests.
  KeyValueStore& inner() { return *inner_; }

 private:
  // Copies what `it` yields (under the exclusive lock held by the caller).
  static Result<std::unique_ptr<KeyValueIterator>> copy_of(
      Result<std::unique_ptr<KeyValueIterator>> it);

  mutable std::shared_mutex mutex_;
  std::unique_ptr<KeyValueStore> inner_;  // Every call is made under mutex_.
};

}  // namespace runnel::state
