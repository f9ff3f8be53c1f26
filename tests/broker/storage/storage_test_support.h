#pragma once

// Helpers shared by the storage tests: a temporary directory per test, batches built the
// way a producer builds them, and walking the batches of a stored blob.

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "broker/storage/log.h"
#include "broker/storage/record_batch.h"
#include "broker/storage/record_batch_builder.h"
#include "core/big_endian.h"
#include "core/bytes.h"

namespace runnel::broker::testing {

// A fresh directory under /tmp, removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/runnel-storage-test-XXXXXX";
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// An uncompressed batch of `records` records whose values are `value_size` bytes, the
// records stamped `timestamp_ms`.
inline Bytes make_batch(int records, size_t value_size = 10, int64_t timestamp_ms = 1'000) {
  RecordBatchBuilder builder(timestamp_ms);
  for (int i = 0; i < records; ++i) {
    std::string value(value_size, static_cast<char>('a' + i % 26));
    builder.add(Bytes::from_string("key-" + std::to_string(i)), Bytes::from_string(value),
                timestamp_ms, Headers());
  }
  return builder.build();
}

inline Bytes concat(const std::vector<Bytes>& parts) {
  Bytes all;
  for (const Bytes& part : parts) all.append(part);
  return all;
}

// Recomputes the CRC of the batch at the start of `batch` after a test edited covered bytes.
inline void reseal(Bytes& batch) {
  store_big_endian<uint32_t>(batch.data() + RecordBatchHeader::kCrcAt,
                             record_batch_crc(batch.view()));
}

// The headers of the whole batches, back to back, in `blob`.
inline std::vector<RecordBatchHeader> batches_in(BytesView blob) {
  std::vector<RecordBatchHeader> headers;
  size_t position = 0;
  while (position + RecordBatchHeader::kSize <= blob.size()) {
    RecordBatchHeader header = RecordBatchHeader::parse(blob.subview(position));
    if (position + header.total_size() > blob.size()) break;
    headers.push_back(header);
    position += header.total_size();
  }
  return headers;
}

// Every stored byte of `log` from its start, read batch by batch through Log::read.
inline Bytes read_all(const Log& log) {
  Bytes all;
  int64_t offset = log.log_start_offset();
  while (offset < log.log_end_offset()) {
    auto read = log.read(offset, 1 << 20);
    if (!read.ok() || read->records.empty()) break;
    all.append(read->records);
    const auto headers = batches_in(read->records);
    if (headers.empty()) break;
    offset = headers.back().last_offset() + 1;
  }
  return all;
}

// The offsets of every record stored in `log`, in order.
inline std::vector<int64_t> offsets_in(const Log& log) {
  std::vector<int64_t> offsets;
  const Bytes all = read_all(log);
  for (const RecordBatchHeader& header : batches_in(all)) {
    for (int64_t o = header.base_offset; o <= header.last_offset(); ++o) offsets.push_back(o);
  }
  return offsets;
}

}  // namespace runnel::broker::testing
