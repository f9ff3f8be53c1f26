#pragma once

#include <cstddef>
#include <vector>

#include "core/status.h"

namespace runnel::state {

// The writes one task made to its RocksDB stores since its last commit, held back from
// RocksDB until the transaction that produced them commits (exactly-once, KIP-892's
// transactional state stores). With it, a task's on-disk stores hold only committed state,
// consistent with its checkpoint, so a crash costs a replay of what followed the last commit
// instead of wiping every store.
//
// One per task, made by the task and handed to its RocksDB stores through
// RocksDbStoreOptions::uncommitted_writes; each buffered store (every segment of a window or
// session store included) registers itself when it opens and unregisters when it closes, so
// a commit reaches every store under the decorators (caching, change-logging, metering)
// without those forwarding anything.
//
// The runtime's order under exactly-once:
//   1. StreamTask::flush() — caches write through to the stores (which buffer the RocksDB
//      part here), change-logging sends to the producer's open transaction;
//   2. commit the Kafka transaction (offsets included);
//   3. commit() — the buffered writes go to RocksDB (its memtables); segment drops happen;
//   4. when a checkpoint is due: the stores' flush() writes the memtables to disk, then the
//      checkpoint is written.
// So what is on disk is always committed state, and never older than the checkpoint (RocksDB
// may write memtables on its own in between, but they hold committed writes only). A crash
// anywhere leaves the stores at some committed state at or after the checkpoint: restoration
// replays the committed changelog from that checkpoint, which is what it is for (replaying a
// write the store already holds changes nothing). A task closed without commit() (dirty close)
// simply loses its batches: discard() or closing the stores drops them.
//
// Not thread-safe: owned by the task's thread, like the stores. Must outlive every store
// registered with it (the task declares it before its stores).
class UncommittedWrites {
 public:
  // Something that holds back writes or effects until commit: a buffered RocksDB store, or
  // the segments of a window or session store (whose expired segments are deleted only
  // once the commit that expired them is durable).
  class Participant {
   public:
    virtual ~Participant() = default;
    // Phase 1: writes what is held back into the store (for RocksDB: one atomic Write of
    // the batch) and forgets it. Reads see no difference.
    [[nodiscard]] virtual Status apply_uncommitted() { return Status(); }
    // Phase 2: effects that must wait until the transaction committed (deleting expired
    // segments). May close and unregister other participants.
    [[nodiscard]] virtual Status after_commit() { return Status(); }
    // Drops what is held back: the next read sees the last committed state.
    virtual void discard_uncommitted() {}
    // Bytes held back (an estimate), for a runtime that commits early when it grows.
    virtual std::size_t uncommitted_bytes() const { return 0; }
  };

  UncommittedWrites() = default;
  UncommittedWrites(const UncommittedWrites&) = delete;
  UncommittedWrites& operator=(const UncommittedWrites&) = delete;

  // Registers `participant` (borrowed) until remove(). Registering twice is a programming
  // error.
  void add(Participant* participant);
  // Unregisters `participant`; nothing happens if it is not registered. Safe during
  // commit() (a participant may close others in after_commit()).
  void remove(Participant* participant);

  // Applies every participant's writes, then runs the deferred effects, each phase over
  // every participant before the next. On success the stores hold everything written so far
  // (in RocksDB's memtables: the stores' flush() writes them to disk). Disk writes are left
  // to checkpoints because a commit comes every 100 ms under exactly-once, and a memtable
  // flush per store per commit made tiny files, compactions and fsyncs its main cost. On an error
  // it stops at the first failure: some stores may then hold the commit and others not, which
  // restoration repairs (the checkpoint must not be written, and the task should be closed dirty).
  [[nodiscard]] Status commit();
  // Drops every participant's held-back writes (a dirty close, or an aborted transaction).
  // Key-value stores then read their last committed state, but window and session stores
  // keep their stream time and keep the segments they expired out of reads: after a
  // discard the stores are to be closed and reopened (a task whose transaction aborted is
  // closed dirty and revived, as in Kafka Streams), never written on.
  void discard();

  // The sum of the participants' uncommitted_bytes().
  std::size_t uncommitted_bytes() const;
  std::size_t participant_count() const;

 private:
  // Runs `phase` on every participant still registered when its turn comes.
  Status for_each(Status (Participant::*phase)(), const char* what);
  void compact();

  // Null entries are participants removed while a commit() was walking the list.
  std::vector<Participant*> participants_;
  bool walking_ = false;
};

}  // namespace runnel::state
