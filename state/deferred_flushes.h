#pragma once

#include <functional>
#include <vector>

#include "core/status.h"

namespace runnel::state {

// Takes the wait for disk out of a store's flush(), for a caller that can wait elsewhere.
//
// A task's checkpoint flushes every store it owns (a window or session store is one RocksDB
// instance per segment): a dozen or more memtable flushes, each mostly waiting for its files
// to be synced (13-50 ms each on the 2-core VM), which held the stream thread for 50-250 ms
// at every checkpoint in the fraud demo, the tail of its time to alert. While a
// DeferredFlushes is active on a thread, RocksDbKeyValueStore::flush() does on that thread what
// must happen there (writing its batched writes into RocksDB) and, instead of writing its
// memtables to disk and waiting, adds a job doing that to the scope. The caller takes the
// jobs and runs them on a thread of its own (runtime/internal/checkpointer.h); only once every
// job returned OK is what the stores held at flush() on disk.
//
// A job may run after its store was closed, even destroyed: it then does nothing and returns
// OK (a close writes the memtables to disk itself). A store's close() waits for a job of its
// own that is running. Jobs of one store may run concurrently with its reads and writes.
//
// Scopes do not nest. Not thread-safe: made, used and destroyed on one thread.
class DeferredFlushes {
 public:
  using Job = std::function<Status()>;

  DeferredFlushes();
  ~DeferredFlushes();  // Jobs not taken are dropped (nothing is written to disk for them).
  DeferredFlushes(const DeferredFlushes&) = delete;
  DeferredFlushes& operator=(const DeferredFlushes&) = delete;

  // The scope active on the calling thread, or null.
  static DeferredFlushes* active();

  // For stores: adds a job that writes what the store held at this point to disk.
  void add(Job job);
  // The jobs added so far, in the order they were added; the scope is empty afterwards.
  std::vector<Job> take();

 private:
  std::vector<Job> jobs_;
};

}  // namespace runnel::state
