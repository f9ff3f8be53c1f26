#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "state/key_value_store.h"

namespace runnel::state::internal {

// An iterator over entries copied out of a store when it was created: the snapshot semantics
// of KeyValueIterator for stores whose live structure would be invalidated by writes
// (std::map erase). The copy costs O(entries in range); bounded scans keep it small.
class SnapshotIterator final : public KeyValueIterator {
 public:
  // `entries` in the order they are to be returned.
  explicit SnapshotIterator(std::vector<KeyValue> entries) : entries_(std::move(entries)) {}

  bool valid() const override { return position_ < entries_.size(); }
  BytesView key() const override { return entries_[position_].key; }
  BytesView value() const override { return entries_[position_].value; }
  void next() override { ++position_; }
  Status status() const override { return Status(); }

 private:
  std::vector<KeyValue> entries_;
  std::size_t position_ = 0;
};

}  // namespace runnel::state::internal
