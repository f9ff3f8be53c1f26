// What a partition costs the broker per byte: appending ~16 KiB batches as a producer sends
// them (validation, CRC32C, offset assignment, write to the page cache), reading them back
// as a fetch does, and the CRC32C alone. No fsync: an append returns once written to the
// file (docs/DURABILITY.md), so these are CPU and page-cache figures, not disk figures.
//
//   RUNNEL_LOG_LEVEL=warn build-storage-tests/bin/log_bench --benchmark_min_time=1

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "broker/storage/crc32c.h"
#include "broker/storage/log.h"
#include "broker/storage/record_batch.h"
#include "broker/storage/record_batch_builder.h"

namespace runnel::broker {
namespace {

constexpr size_t kBatchTarget = 16 * 1024;
constexpr int64_t kNow = 1'700'000'000'000;

// A directory under /tmp for one benchmark run, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = "/tmp/runnel-log-bench-XXXXXX";
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

// One uncompressed batch of records with `value_size`-byte values and 8-byte keys, as close
// to kBatchTarget bytes as whole records allow.
Bytes make_batch(size_t value_size, int& records) {
  RecordBatchBuilder builder(kNow);
  const Bytes value = Bytes::from_string(std::string(value_size, 'v'));
  // Per record: the value, an 8-byte key, and about 10 bytes of varints and attributes.
  const size_t per_record = value_size + 8 + 10;
  records = static_cast<int>((kBatchTarget - RecordBatchHeader::kSize) / per_record);
  for (int i = 0; i < records; ++i) {
    builder.add(Bytes::from_string(fmt::format("{:08}", i)), value, kNow + i, Headers());
  }
  return builder.build();
}

std::unique_ptr<Log> open_log(const std::filesystem::path& dir) {
  TopicConfig config;
  config.segment_bytes = 64 << 20;
  config.retention_bytes = 256 << 20;  // keeps /tmp bounded however long the run
  auto log = Log::open(dir, config, kNow);
  if (!log.ok()) return nullptr;
  return std::move(log).value();
}

// Appends of one ~16 KiB batch of `state.range(0)`-byte records.
void BM_Append(benchmark::State& state) {
  ScratchDir dir;
  auto log = open_log(dir.path());
  if (log == nullptr) {
    state.SkipWithError("cannot open the log");
    return;
  }
  int records = 0;
  const Bytes batch = make_batch(static_cast<size_t>(state.range(0)), records);
  int64_t appended = 0;
  for (auto _ : state) {
    AppendResult result = log->append(batch, kNow);
    if (result.error != AppendError::kNone) {
      state.SkipWithError(result.message.c_str());
      break;
    }
    if (++appended % 4096 == 0) {  // every 64 MiB: drop old segments, off the clock
      state.PauseTiming();
      (void)log->enforce_retention(kNow);
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
  state.SetItemsProcessed(state.iterations() * records);
  state.counters["batch_bytes"] = static_cast<double>(batch.size());
  state.counters["records_per_batch"] = records;
}
// Wall-clock time: the write system call and page-cache work are what an append waits for.
BENCHMARK(BM_Append)->Arg(100)->Arg(1024)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Sequential fetch-style reads of up to 1 MiB from a log of 64 MiB of ~16 KiB batches of
// `state.range(0)`-byte records, wrapping around at the end. Served from the page cache.
void BM_Read(benchmark::State& state) {
  ScratchDir dir;
  auto log = open_log(dir.path());
  if (log == nullptr) {
    state.SkipWithError("cannot open the log");
    return;
  }
  int records = 0;
  const Bytes batch = make_batch(static_cast<size_t>(state.range(0)), records);
  while (log->size_bytes() < (64u << 20)) {
    if (log->append(batch, kNow).error != AppendError::kNone) {
      state.SkipWithError("append failed");
      return;
    }
  }
  const int64_t end = log->log_end_offset();
  int64_t offset = 0;
  int64_t bytes = 0;
  int64_t batches = 0;
  for (auto _ : state) {
    auto read = log->read(offset, 1 << 20);
    if (!read.ok() || read->records.empty()) {
      state.SkipWithError("read failed");
      break;
    }
    const size_t got = read->records.size();
    bytes += static_cast<int64_t>(got);
    batches += static_cast<int64_t>(got / batch.size());
    offset += static_cast<int64_t>(got / batch.size()) * records;
    if (offset >= end) offset = 0;
    benchmark::DoNotOptimize(read->records.data());
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(batches * records);
}
BENCHMARK(BM_Read)->Arg(100)->Arg(1024)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Fetch-style reads as above over a log written by 4 transactional producers, interleaved,
// each committing every 8 batches of 100-byte records and aborting one transaction in 10:
// read_uncommitted (arg 0) against read_committed (arg 1), which also cuts at the last stable
// offset and lists the aborted transactions in range. The ratio is what isolation costs.
void BM_ReadTransactional(benchmark::State& state) {
  const auto isolation = static_cast<IsolationLevel>(state.range(0));
  ScratchDir dir;
  auto log = open_log(dir.path());
  if (log == nullptr) {
    state.SkipWithError("cannot open the log");
    return;
  }
  int records = 0;
  make_batch(100, records);
  const Bytes value = Bytes::from_string(std::string(100, 'v'));
  auto transactional_batch = [&](int64_t producer, int32_t sequence) {
    RecordBatchBuilder builder(kNow);
    builder.set_producer(producer, 0, sequence, /*transactional=*/true);
    for (int i = 0; i < records; ++i) {
      builder.add(Bytes::from_string(fmt::format("{:08}", i)), value, kNow + i, Headers());
    }
    return builder.build();
  };
  constexpr int kProducers = 4;
  int32_t sequences[kProducers] = {};
  int transactions = 0;
  while (log->size_bytes() < (64u << 20)) {
    for (int batch = 0; batch < 8; ++batch) {
      for (int64_t p = 0; p < kProducers; ++p) {
        const Bytes bytes = transactional_batch(p, sequences[p]);
        sequences[p] += records;
        if (log->append(bytes.view(), kNow).error != AppendError::kNone) {
          state.SkipWithError("append failed");
          return;
        }
      }
    }
    for (int64_t p = 0; p < kProducers; ++p) {
      const ControlType type =
          ++transactions % 10 == 0 ? ControlType::kAbort : ControlType::kCommit;
      if (!log->append_transaction_marker(p, 0, type, 0, kNow).ok()) {
        state.SkipWithError("marker failed");
        return;
      }
    }
  }
  const int64_t end = log->log_end_offset();
  int64_t offset = 0;
  int64_t bytes = 0;
  int64_t aborted = 0;
  for (auto _ : state) {
    auto read = log->read(offset, 1 << 20, isolation);
    if (!read.ok() || read->records.empty()) {
      state.SkipWithError("read failed");
      break;
    }
    bytes += static_cast<int64_t>(read->records.size());
    aborted += static_cast<int64_t>(read->aborted.size());
    // Next offset: past the last whole batch returned.
    BytesView rest = read->records.view();
    while (rest.size() >= RecordBatchHeader::kSize) {
      const RecordBatchHeader header = RecordBatchHeader::parse(rest);
      offset = header.last_offset() + 1;
      rest = rest.subview(header.total_size());
    }
    if (offset >= end) offset = 0;
    benchmark::DoNotOptimize(read->records.data());
  }
  state.SetBytesProcessed(bytes);
  state.counters["aborted_listed_per_read"] =
      benchmark::Counter(static_cast<double>(aborted), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_ReadTransactional)
    ->Arg(static_cast<int>(IsolationLevel::kReadUncommitted))
    ->Arg(static_cast<int>(IsolationLevel::kReadCommitted))
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Validating a produced 16 KiB batch: header checks and the CRC32C over it.
void BM_ValidateBatch(benchmark::State& state) {
  int records = 0;
  const Bytes batch = make_batch(100, records);
  for (auto _ : state) {
    BatchValidation validation = validate_produced_batches(batch, 1 << 20);
    benchmark::DoNotOptimize(validation);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_ValidateBatch);

void BM_Crc32c(benchmark::State& state) {
  const Bytes data = Bytes::from_string(std::string(static_cast<size_t>(state.range(0)), 'x'));
  for (auto _ : state) {
    uint32_t crc = crc32c(data);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(16 * 1024);

}  // namespace
}  // namespace runnel::broker

BENCHMARK_MAIN();
