#pragma once

// Runs a NEXMark query's topology in this process, with no broker: one StreamTask per
// sub-topology (every topic has one partition), stores made by RocksDbStoreSupplier and
// wrapped (change-logging, caching) exactly as StreamTask wraps them for a StreamThread, and
// a RecordCollector that feeds what the tasks write to repartition topics back into the
// reading task and counts everything else. Commits (task flush: caches forward, stores are
// made durable) every commit interval of processing time, as the runtime does under
// at-least-once. What it leaves out of the cost is the broker and the clients: fetching,
// producing, offset commits.
//
// The events are generated and serialized before the clock starts; the figures cover the
// processing only: from the first record given to a task to the end of the last commit.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/nexmark/nexmark_generator.h"
#include "bench/nexmark/nexmark_queries.h"
#include "core/bytes.h"
#include "core/result.h"

namespace runnel::nexmark {

struct InProcessOptions {
  // Where the tasks' RocksDB stores go (a fresh directory under it, removed afterwards).
  std::filesystem::path state_dir = std::filesystem::temp_directory_path();
  // As commit.interval.ms under at-least-once (the runtime's default is 30 s).
  std::chrono::milliseconds commit_interval{30'000};
  // cache.max.bytes.buffering, shared by the tasks' caches as a thread's are.
  std::size_t cache_max_bytes = 10 << 20;
};

struct InProcessResult {
  std::int64_t events = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;  // This thread's (RUSAGE_THREAD): the tasks run on it alone.
  std::int64_t output_records = 0;
  std::int64_t changelog_records = 0;
  std::int64_t repartition_records = 0;
  std::int64_t commits = 0;
  std::uint64_t dropped_late = 0;
};

// The serialized input: value bytes and timestamps of events [0, count).
struct SerializedEvents {
  std::vector<Bytes> values;
  std::vector<std::int64_t> timestamps;
};
SerializedEvents serialize_events(const Generator& generator, std::int64_t count);

// Runs `query` over `events`. Errors: the topology's, a store that cannot be made, an
// operator's failure.
[[nodiscard]] Result<InProcessResult> run_in_process(Query query, const QueryOptions& query_options,
                                                     const SerializedEvents& events,
                                                     const InProcessOptions& options);

}  // namespace runnel::nexmark
