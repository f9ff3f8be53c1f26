#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "broker/storage/file_system.h"
#include "core/result.h"

namespace runnel::broker {

// One aborted transaction of a partition: its producer's records in [first_offset,
// last_offset) are not to be delivered to read_committed consumers; last_offset is the
// abort marker's offset.
struct AbortedTransaction {
  int64_t producer_id = -1;
  int64_t first_offset = 0;
  int64_t last_offset = 0;
  int64_t last_stable_offset = 0;  // the partition's LSO once the marker was written

  friend bool operator==(const AbortedTransaction&, const AbortedTransaction&) = default;
};

// A segment's aborted-transactions index, `<base offset>.txnindex`, in Kafka's layout: 34-byte
// entries (version int16 0, producer id, first offset, last offset, last stable offset; big
// endian), one per abort marker stored in that segment, in marker order. The file is small
// (aborts are rare) and read whole; an entry is appended as its marker is, with the same
// durability (no fsync of its own): Log::open rebuilds entries of the segments it rescans.
class TransactionIndex {
 public:
  static constexpr size_t kEntrySize = 34;

  static std::filesystem::path path(const std::filesystem::path& dir, int64_t segment_base);

  // Every whole entry of the file (a torn last entry is ignored); empty when there is none.
  [[nodiscard]] static Result<std::vector<AbortedTransaction>> read(
      FileSystem& fs, const std::filesystem::path& file);
  // Appends one entry, creating the file when missing. On an error the file is cut back to
  // its whole entries (a short write must not misalign the entries appended after it).
  [[nodiscard]] static Status append(FileSystem& fs, const std::filesystem::path& file,
                                     const AbortedTransaction& entry);
  // Replaces the file's contents with `entries` (recovery); removes it when empty.
  [[nodiscard]] static Status rewrite(FileSystem& fs, const std::filesystem::path& file,
                                      const std::vector<AbortedTransaction>& entries);
};

}  // namespace runnel::broker
