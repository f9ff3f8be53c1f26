#pragma once

#include <filesystem>
#include <string_view>

#include <rocksdb/status.h>

#include "core/status.h"

namespace runnel::state::internal {

// A RocksDB error as a Runnel Status whose message names what was being done, the store and
// its directory: "rocksdb store 'counts' at /tmp/x: put: IO error: No space left on device".
// NoSpace and Corruption keep their meaning; other I/O errors are IoError, and anything else
// (a RocksDB misuse) Internal.
Status from_rocksdb(const rocksdb::Status& status, std::string_view operation,
                    std::string_view store_name, const std::filesystem::path& directory);

}  // namespace runnel::state::internal
