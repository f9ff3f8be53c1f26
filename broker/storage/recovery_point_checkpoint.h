#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "broker/storage/file_system.h"
#include "core/result.h"

namespace runnel::broker {

// `<data-dir>/recovery-point-offset-checkpoint`: per partition, the offset below which its
// log was fsynced, so that a restart verifies only what may be torn (docs/DURABILITY.md).
// Kafka's format, text: a version line (0), a count line, then one `topic partition offset`
// line per partition. Replaced atomically (temporary file, fsync, rename, fsync directory).
class RecoveryPointCheckpoint {
 public:
  using Offsets = std::map<std::pair<std::string, int32_t>, int64_t>;

  static constexpr const char* kFileName = "recovery-point-offset-checkpoint";

  // The recovery points in `data_dir`: empty when the file does not exist;
  // corruption_error when it does not parse (the caller then verifies every segment).
  static Result<Offsets> read(FileSystem& fs, const std::filesystem::path& data_dir);
  static Status write(FileSystem& fs, const std::filesystem::path& data_dir,
                      const Offsets& offsets);
};

}  // namespace runnel::broker
