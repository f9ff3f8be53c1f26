#include "state/internal/rocksdb_status.h"

#include <string>

namespace runnel::state::internal {

Status from_rocksdb(const rocksdb::Status& status, std::string_view operation,
                    std::string_view store_name, const std::filesystem::path& directory) {
  std::string message = "rocksdb store '" + std::string(store_name) + "' at " + directory.string() +
                        ": " + std::string(operation) + ": " + status.ToString();
  if (status.IsNoSpace()) return no_space_error(message);
  if (status.IsCorruption()) return corruption_error(message);
  if (status.IsIOError()) return io_error(message);
  if (status.IsBusy() || status.IsTimedOut() || status.IsTryAgain()) {
    return unavailable_error(message);
  }
  return internal_error(message);
}

}  // namespace runnel::state::internal
