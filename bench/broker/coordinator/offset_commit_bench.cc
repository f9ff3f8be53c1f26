// What an OffsetCommit costs the coordinator, without the network: membership checks, one
// protobuf key and value per partition, one record batch appended to __consumer_offsets
// (written to the page cache, no fsync, as a produce), the in-memory map updated. And what
// replaying __consumer_offsets costs at broker start.
//
//   RUNNEL_LOG_LEVEL=warn build/bin/offset_commit_bench --benchmark_min_time=1

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "broker/coordinator/group_coordinator.h"
#include "broker/coordinator/offset_store.h"
#include "broker/storage/log_manager.h"
#include "core/clock.h"

namespace runnel::broker {
namespace {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = "/tmp/runnel-offset-bench-XXXXXX";
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

OffsetCommitParams commit_of(int partitions) {
  OffsetCommitParams params;
  params.group_id = "bench";
  params.generation_id = -1;
  for (int p = 0; p < partitions; ++p) {
    params.offsets.push_back(
        {TopicPartition{"input-topic", p},
         CommittedOffset{.offset = 0, .metadata = "", .commit_timestamp_ms = 1}});
  }
  return params;
}

// One commit of `range(0)` partitions per iteration.
void BM_CommitOffsets(benchmark::State& state) {
  ScratchDir dir;
  auto logs = std::move(LogManager::open(dir.path(), TopicConfig{}, system_clock()).value());
  auto offsets = std::move(OffsetStore::open(*logs, system_clock()).value());
  GroupCoordinator groups(*offsets, system_clock());
  OffsetCommitParams params = commit_of(static_cast<int>(state.range(0)));
  int64_t next = 0;
  for (auto _ : state) {
    for (auto& entry : params.offsets) entry.second.offset = ++next;
    auto errors = groups.commit_offsets(params);
    if (errors.front() != ErrorCode::kNone) state.SkipWithError("commit refused");
    benchmark::DoNotOptimize(errors);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["commits/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CommitOffsets)->Arg(1)->Arg(10)->Arg(100)->UseRealTime();

// Opening the store (the broker's start) with `range(0)` commits of 10 partitions in the log.
void BM_ReplayAtStart(benchmark::State& state) {
  ScratchDir dir;
  {
    auto logs = std::move(LogManager::open(dir.path(), TopicConfig{}, system_clock()).value());
    auto offsets = std::move(OffsetStore::open(*logs, system_clock()).value());
    GroupCoordinator groups(*offsets, system_clock());
    OffsetCommitParams params = commit_of(10);
    for (int64_t i = 0; i < state.range(0); ++i) {
      for (auto& entry : params.offsets) entry.second.offset = i;
      groups.commit_offsets(params);
    }
  }
  for (auto _ : state) {
    auto logs = std::move(LogManager::open(dir.path(), TopicConfig{}, system_clock()).value());
    auto offsets = OffsetStore::open(*logs, system_clock());
    if (!offsets.ok()) state.SkipWithError("replay failed");
    benchmark::DoNotOptimize(offsets);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 10);  // records replayed
}
BENCHMARK(BM_ReplayAtStart)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace runnel::broker

BENCHMARK_MAIN();
