#pragma once

#include <map>
#include <memory>
#include <string>

#include "state/internal/bytes_less.h"
#include "state/key_value_store.h"

namespace runnel::state {

// A KeyValueStore in a std::map: for small state, tests, and stores that a changelog restores
// on every start anyway. Nothing survives close().
//
// Iterators copy the entries of their range when created (snapshot semantics), so a scan
// costs O(entries in range) memory up front.
//
// Not thread-safe: owned by one task's thread.
class InMemoryKeyValueStore final : public KeyValueStore {
 public:
  explicit InMemoryKeyValueStore(std::string name);

  const std::string& name() const override { return name_; }
  bool is_open() const override { return open_; }
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

 private:
  void put_unchecked(BytesView key, BytesView value);

  const std::string name_;
  bool open_ = true;
  std::map<Bytes, Bytes, internal::BytesLess> map_;
};

}  // namespace runnel::state
