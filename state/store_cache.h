#pragma once

#include <cstddef>

#include "core/status.h"

namespace runnel::state {

// The record cache in front of a store (CachingKeyValueStore, and the window and session
// caches): what a commit asks of it, apart from the store's own flush().
//
// A commit comes every 100 ms under exactly-once: each one writes the caches down (and so
// forwards their entries downstream), but only a checkpoint writes the stores to disk. A
// cache's flush() does both; flush_cache() only the first.
class StoreCache {
 public:
  virtual ~StoreCache() = default;
  // Writes every dirty entry down to the store beneath and tells the flush listener, as
  // flush() does, without flushing that store. Errors as flush()'s.
  [[nodiscard]] virtual Status flush_cache() = 0;
  // Entries written to the cache and not yet written down.
  virtual std::size_t dirty_entries() const = 0;
};

}  // namespace runnel::state
