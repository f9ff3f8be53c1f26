// The log cleaner's throughput next to a plain read of the same log, in one run: a
// partition of ~16 KiB batches (100-byte values, 8-byte keys drawn from a fixed key space so
// that most records are superseded) is written, read back whole through Log::read as a
// consumer from the beginning would, then cleaned once (Log::clean with force: key map over
// every non-active segment, rewrite of each changed segment, fsync and swap). Rates are
// bytes of log before cleaning per second of wall time. Page cache warm (the log was just
// written), so this is CPU plus fsync of the rewritten segments, not disk reads.
//
//   RUNNEL_LOG_LEVEL=warn build/bin/compaction_bench [records] [keys]

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include <fmt/format.h>

#include "broker/storage/compression.h"
#include "broker/storage/log.h"
#include "broker/storage/record_batch.h"
#include "broker/storage/record_batch_builder.h"
#include "core/big_endian.h"

namespace runnel::broker {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = "/tmp/runnel-compaction-bench-XXXXXX";
    path_ = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Bytes compressed(const Bytes& batch, Codec codec) {
  auto records = compress_records(codec, batch.view().subview(RecordBatchHeader::kSize));
  if (!records.ok()) abort();
  Bytes out(batch.view().subview(0, RecordBatchHeader::kSize));
  out.append(records->view());
  store_big_endian<int32_t>(out.data() + RecordBatchHeader::kBatchLengthAt,
                            static_cast<int32_t>(out.size() - RecordBatchHeader::kLogOverhead));
  store_big_endian<int16_t>(out.data() + RecordBatchHeader::kAttributesAt,
                            static_cast<int16_t>(codec));
  store_big_endian<uint32_t>(out.data() + RecordBatchHeader::kCrcAt, record_batch_crc(out.view()));
  return out;
}

void run(const char* name, Codec codec, int64_t records, int64_t keys) {
  ScratchDir dir;
  TopicConfig config;
  config.cleanup_policy = "compact";
  config.segment_bytes = 4 << 20;
  auto opened = Log::open(dir.path(), config, kNow);
  if (!opened.ok()) abort();
  Log& log = **opened;
  std::mt19937_64 random(42);
  // Values of 16 random letters' worth of entropy per byte: compressible about 2:1, as
  // JSON-ish payloads are, so that compressed logs are not trivially small.
  std::string value(100, 'a');
  constexpr int kPerBatch = 130;  // ~16 KiB uncompressed
  for (int64_t written = 0; written < records;) {
    RecordBatchBuilder builder(kNow);
    for (int i = 0; i < kPerBatch && written < records; ++i, ++written) {
      for (char& c : value) c = static_cast<char>('a' + random() % 16);
      builder.add(Bytes::from_string(fmt::format("{:08}", random() % keys)),
                  Bytes::from_string(value), kNow, Headers());
    }
    Bytes batch = builder.build();
    if (codec != Codec::kNone) batch = compressed(batch, codec);
    if (log.append(batch.view(), kNow).error != AppendError::kNone) abort();
  }
  const uint64_t size = log.size_bytes();

  auto start = std::chrono::steady_clock::now();
  uint64_t read_bytes = 0;
  for (int64_t offset = 0; offset < log.log_end_offset();) {
    auto read = log.read(offset, 1 << 20);
    if (!read.ok() || read->records.empty()) break;
    read_bytes += read->records.size();
    BytesView rest = read->records.view();
    while (rest.size() >= RecordBatchHeader::kSize) {
      const RecordBatchHeader header = RecordBatchHeader::parse(rest);
      offset = header.last_offset() + 1;
      rest = rest.subview(header.total_size());
    }
  }
  const double read_s = seconds_since(start);

  start = std::chrono::steady_clock::now();
  auto stats = log.clean(kNow, true);
  const double clean_s = seconds_since(start);
  if (!stats.ok()) abort();
  std::printf(
      "%-13s log %6.1f MB in %3zu segments | read %7.1f MB/s | clean %6.1f MB/s "
      "(%.1f MB -> %.1f MB, %lld records removed, %.2f s)\n",
      name, static_cast<double>(size) / 1e6, log.segment_count(),
      static_cast<double>(read_bytes) / 1e6 / read_s,
      static_cast<double>(stats->bytes_before) / 1e6 / clean_s,
      static_cast<double>(stats->bytes_before) / 1e6, static_cast<double>(stats->bytes_after) / 1e6,
      static_cast<long long>(stats->records_removed), clean_s);
}

}  // namespace
}  // namespace runnel::broker

int main(int argc, char** argv) {
  using runnel::broker::Codec;
  const int64_t records = argc > 1 ? std::atoll(argv[1]) : 500'000;
  const int64_t keys = argc > 2 ? std::atoll(argv[2]) : 50'000;
  std::printf("%lld records over %lld keys, 100-byte values\n", static_cast<long long>(records),
              static_cast<long long>(keys));
  runnel::broker::run("uncompressed", Codec::kNone, records, keys);
  runnel::broker::run("zstd", Codec::kZstd, records, keys);
  runnel::broker::run("lz4", Codec::kLz4, records, keys);
  return 0;
}
