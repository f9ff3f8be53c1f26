// The stateless DSL's per-record cost: filter -> map_values -> to over string keys and values,
// from serialized input to serialized output. Two entry points:
//  - through a StreamTask, as a StreamThread will drive it: the records are pre-encoded and
//    the collector only counts what it is given (no broker, no copies kept), so the figure is
//    deserialize + the typed operator chain + serialize;
//  - through the TopologyTestDriver, which also serializes the input in TestInputTopic and
//    copies every output record into its topic queue.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/clock.h"
#include "operators/internal/task_context.h"
#include "operators/streams_builder.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/stream_task.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace {

using S = std::string;

Topology stateless_chain() {
  StreamsBuilder builder;
  builder.stream<S, S>("input")
      .filter([](const S&, const S& v) { return v[0] != '#'; })  // Drops 1 record in 16.
      .map_values([](const S& v) { return v.substr(0, v.size() - 4); })
      .to("output");
  return builder.build();
}

// Keys "user-000042" (11 bytes, fits std::string's inline buffer), values of 40 bytes (does not).
struct Input {
  std::vector<S> keys;
  std::vector<S> values;
};
Input make_input() {
  Input in;
  for (int i = 0; i < 1024; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "user-%06d", i * 7919 % 1000000);
    in.keys.emplace_back(key);
    S value = (i % 16 == 0 ? "#" : "v") + std::string(35, static_cast<char>('a' + i % 26));
    value += "tail";
    in.values.push_back(value);
  }
  return in;
}

class CountingCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string&, NullableBytesView key, NullableBytesView value, Timestamp,
              const Headers&, std::optional<std::int32_t>) override {
    ++records;
    bytes += (key ? key->size() : 0) + (value ? value->size() : 0);
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
};

void BM_FilterMapValuesToThroughStreamTask(benchmark::State& state) {
  Topology topology = stateless_chain();
  CountingCollector collector;
  ManualClock clock;
  LogAndFailExceptionHandler handler;
  auto task = StreamTask::create(topology, TaskId{0, 0},
                                 StreamTask::Options{"bench", &collector, &clock, &handler});
  if (!task.ok()) {
    state.SkipWithError(task.status().to_string().c_str());
    return;
  }
  const Input in = make_input();
  std::int64_t offset = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    internal::RawRecordView raw{"input",
                                0,
                                offset,
                                BytesView(std::string_view(in.keys[i])),
                                BytesView(std::string_view(in.values[i])),
                                offset,
                                nullptr};
    Status s = (*task)->process(raw);
    if (!s.ok()) {
      state.SkipWithError(s.to_string().c_str());
      break;
    }
    ++offset;
    i = (i + 1) & 1023;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["out_records"] = static_cast<double>(collector.records);
}
BENCHMARK(BM_FilterMapValuesToThroughStreamTask);

void BM_FilterMapValuesToThroughTopologyTestDriver(benchmark::State& state) {
  auto driver = TopologyTestDriver::create(stateless_chain());
  if (!driver.ok()) {
    state.SkipWithError(driver.status().to_string().c_str());
    return;
  }
  auto input = (*driver)->create_input_topic<S, S>("input");
  auto& output = (*driver)->output_queue("output");
  const Input in = make_input();
  std::size_t i = 0;
  Timestamp t = 0;
  for (auto _ : state) {
    Status s = input.pipe_input(in.keys[i], in.values[i], t++);
    if (!s.ok()) {
      state.SkipWithError(s.to_string().c_str());
      break;
    }
    i = (i + 1) & 1023;
    if (i == 0) output.clear();  // Keep memory flat; a test would read these.
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FilterMapValuesToThroughTopologyTestDriver);

}  // namespace
}  // namespace runnel

BENCHMARK_MAIN();
