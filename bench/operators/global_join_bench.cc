// The per-record cost of a KStream-GlobalKTable join next to a KStream-KTable join of the
// same shape, both through a StreamTask with in-memory stores: what the global store's
// thread-safety (SynchronizedKeyValueStore: a shared lock per lookup) and the key selector
// add to a table lookup. 10,000 table entries; string keys and values; every record finds
// its entry.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/clock.h"
#include "core/serdes.h"
#include "operators/internal/task_context.h"
#include "operators/streams_builder.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/stream_task.h"

namespace runnel {
namespace {

using S = std::string;
constexpr int kEntries = 10000;

class CountingCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string&, NullableBytesView, NullableBytesView, Timestamp, const Headers&,
              std::optional<std::int32_t>) override {
    ++records;
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  std::uint64_t records = 0;
};

S key_of(int i) {
  char key[16];
  std::snprintf(key, sizeof key, "cust-%06d", i);
  return key;
}

struct Encoded {
  std::vector<Bytes> keys;
  std::vector<Bytes> values;
};
Encoded encode(int n, const char* value_prefix) {
  Encoded e;
  StringSerde serde;
  for (int i = 0; i < n; ++i) {
    e.keys.push_back(*serde.serialize(key_of(i * 7919 % kEntries)));
    e.values.push_back(*serde.serialize(value_prefix + key_of(i)));
  }
  return e;
}

Status feed(StreamTask& task, const std::string& topic, const Encoded& e, std::int64_t& offset) {
  for (std::size_t i = 0; i < e.keys.size(); ++i) {
    internal::RawRecordView view{
        topic, 0, offset++, BytesView(e.keys[i]), BytesView(e.values[i]), 1, nullptr};
    RUNNEL_RETURN_IF_ERROR(task.process(view));
  }
  return ok_status();
}

void run_joins(benchmark::State& state, StreamTask& task, CountingCollector& collector) {
  const Encoded orders = encode(1024, "order-of-");
  std::int64_t offset = 0;
  for (auto _ : state) {
    Status s = feed(task, "orders", orders, offset);
    if (!s.ok()) {
      state.SkipWithError(s.to_string().c_str());
      return;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1024);
  if (collector.records != static_cast<std::uint64_t>(state.iterations()) * 1024) {
    state.SkipWithError("not every record joined");
  }
}

void BM_StreamTableJoin(benchmark::State& state) {
  StreamsBuilder builder;
  KTable<S, S> table = builder.table<S, S>("customers");
  builder.stream<S, S>("orders")
      .join(table, [](const S& o, const S& c) { return o + "@" + c; })
      .to("out");
  Topology topology = builder.build();
  CountingCollector collector;
  ManualClock clock;
  LogAndFailExceptionHandler handler;
  auto task = StreamTask::create(topology, TaskId{0, 0},
                                 StreamTask::Options{"bench", &collector, &clock, &handler});
  std::int64_t offset = 0;
  if (!task.ok() || !feed(**task, "customers", encode(kEntries, "name-"), offset).ok()) {
    state.SkipWithError("setup");
    return;
  }
  collector.records = 0;  // The table's changelog writes.
  run_joins(state, **task, collector);
}

void BM_StreamGlobalTableJoin(benchmark::State& state) {
  StreamsBuilder builder;
  GlobalKTable<S, S> table = builder.global_table<S, S>("customers");
  builder.stream<S, S>("orders")
      .join(
          table, [](const S&, const S& order) { return order.substr(9); },
          [](const S& o, const S& c) { return o + "@" + c; })
      .to("out");
  Topology topology = builder.build();
  CountingCollector collector;
  ManualClock clock;
  LogAndFailExceptionHandler handler;
  auto global = StreamTask::create(topology, TaskId{0, kGlobalTaskPartition},
                                   StreamTask::Options{"bench", &collector, &clock, &handler});
  // The orders' values are "order-of-<customer key>": the selector looks that customer up.
  Encoded customers;
  StringSerde serde;
  for (int i = 0; i < kEntries; ++i) {
    customers.keys.push_back(*serde.serialize(key_of(i)));
    customers.values.push_back(*serde.serialize("name-" + key_of(i)));
  }
  std::int64_t offset = 0;
  if (!global.ok() || !feed(**global, "customers", customers, offset).ok()) {
    state.SkipWithError("setup");
    return;
  }
  GlobalStores stores;
  for (const StreamTask::Store& s : (*global)->stores())
    stores.emplace(s.name, *(*global)->store(s.name));
  auto task = StreamTask::create(topology, TaskId{1, 0},
                                 StreamTask::Options{.application_id = "bench",
                                                     .collector = &collector,
                                                     .clock = &clock,
                                                     .deserialization_handler = &handler,
                                                     .global_stores = &stores});
  if (!task.ok()) {
    state.SkipWithError(task.status().to_string().c_str());
    return;
  }
  run_joins(state, **task, collector);
}

BENCHMARK(BM_StreamTableJoin);
BENCHMARK(BM_StreamGlobalTableJoin);

}  // namespace
}  // namespace runnel

BENCHMARK_MAIN();
