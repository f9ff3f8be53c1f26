#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/result.h"

namespace runnel::broker {

// Hands out producer ids for InitProducerId, unique across restarts: ids are taken from
// blocks of kBlockSize, and the end of the current block is persisted in
// <data-dir>/producer_ids.meta (written to a temporary file, fsynced, renamed, directory
// fsynced) before any id of the block is given out. A crash skips the rest of the block;
// an id is never given twice, so no new producer inherits an old one's sequence state.
//
// Thread-safe.
class ProducerIdManager {
 public:
  static constexpr int64_t kBlockSize = 1000;

  static Result<std::unique_ptr<ProducerIdManager>> open(std::filesystem::path data_dir);

  // A fresh producer id, or an I/O error when the next block cannot be persisted.
  Result<int64_t> next_id();

 private:
  explicit ProducerIdManager(std::filesystem::path path) : path_(std::move(path)) {}
  Status persist_block_end(int64_t block_end);

  const std::filesystem::path path_;
  std::mutex mutex_;
  int64_t next_ = 0;       // GUARDED_BY(mutex_)
  int64_t block_end_ = 0;  // GUARDED_BY(mutex_): ids below it are reserved on disk
};

}  // namespace runnel::broker
