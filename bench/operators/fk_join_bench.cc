// The cost of a foreign-key table join (KIP-213) end to end in one process, through the
// TopologyTestDriver (in-memory stores; every record and everything it leads to processed,
// internal topics fed back, and a commit per piped record), next to a primary-key
// KTable-KTable join of the same tables:
// - a left update: subscribe (registration topic), store the subscription, look the foreign
//   row up, answer (response topic), check the hash and join; a quarter of the updates
//   change the foreign key, which adds an unsubscription;
// - a foreign update with F subscribers: one prefix scan of the subscription store and F
//   answers, each resolved on the left side.
// 10,000 customers; orders of 10-byte keys and ~20-byte values.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <benchmark/benchmark.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace {

using S = std::string;
constexpr int kCustomers = 10000;

S id(const char* prefix, int i) {
  char out[24];
  std::snprintf(out, sizeof out, "%s-%06d", prefix, i);
  return out;
}

std::optional<S> customer_of(const S& order) { return order.substr(0, order.find('|')); }

std::unique_ptr<TopologyTestDriver> driver_for(StreamsBuilder& builder) {
  auto driver = TopologyTestDriver::create(builder.build());
  return driver.ok() ? std::move(*driver) : nullptr;
}

// Orders keyed "order-<n>" with value "cust-<m>|item-<k>".
void BM_ForeignKeyJoinLeftUpdate(benchmark::State& state) {
  StreamsBuilder builder;
  KTable<S, S> customers = builder.table<S, S>("customers");
  builder.table<S, S>("orders")
      .join(customers, customer_of, [](const S& o, const S& c) { return o + "/" + c; })
      .to_stream()
      .to("out");
  auto driver = driver_for(builder);
  if (!driver) return state.SkipWithError("driver");
  auto c = driver->create_input_topic<S, S>("customers");
  auto o = driver->create_input_topic<S, S>("orders");
  for (int i = 0; i < kCustomers; ++i) {
    if (!c.pipe_input(id("cust", i), id("name", i), 1).ok()) return state.SkipWithError("setup");
  }
  std::int64_t n = 0;
  for (auto _ : state) {
    const int order = static_cast<int>(n % 10000);
    // Every fourth update moves the order to another customer.
    const int customer = (order + static_cast<int>(n / 40000)) % kCustomers;
    if (!o.pipe_input(id("order", order), id("cust", customer) + "|" + id("item", n % 4), 2).ok()) {
      return state.SkipWithError("pipe");
    }
    ++n;
    driver->output_queue("out").clear();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The same updates joined by primary key (orders and customers share keys).
void BM_PrimaryKeyTableJoinLeftUpdate(benchmark::State& state) {
  StreamsBuilder builder;
  KTable<S, S> customers = builder.table<S, S>("customers");
  builder.table<S, S>("orders")
      .join(customers, [](const S& o, const S& c) { return o + "/" + c; })
      .to_stream()
      .to("out");
  auto driver = driver_for(builder);
  if (!driver) return state.SkipWithError("driver");
  auto c = driver->create_input_topic<S, S>("customers");
  auto o = driver->create_input_topic<S, S>("orders");
  for (int i = 0; i < kCustomers; ++i) {
    if (!c.pipe_input(id("cust", i), id("name", i), 1).ok()) return state.SkipWithError("setup");
  }
  std::int64_t n = 0;
  for (auto _ : state) {
    const int key = static_cast<int>(n % kCustomers);
    if (!o.pipe_input(id("cust", key), id("cust", key) + "|" + id("item", n % 4), 2).ok()) {
      return state.SkipWithError("pipe");
    }
    ++n;
    driver->output_queue("out").clear();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// A customer update reaching state.range(0) orders; items processed = results produced.
void BM_ForeignKeyJoinForeignUpdate(benchmark::State& state) {
  const int fan_out = static_cast<int>(state.range(0));
  StreamsBuilder builder;
  KTable<S, S> customers = builder.table<S, S>("customers");
  builder.table<S, S>("orders")
      .join(customers, customer_of, [](const S& o, const S& c) { return o + "/" + c; })
      .to_stream()
      .to("out");
  auto driver = driver_for(builder);
  if (!driver) return state.SkipWithError("driver");
  auto c = driver->create_input_topic<S, S>("customers");
  auto o = driver->create_input_topic<S, S>("orders");
  const int customers_used = 10000 / fan_out;
  for (int i = 0; i < customers_used; ++i) {
    if (!c.pipe_input(id("cust", i), id("name", i), 1).ok()) return state.SkipWithError("setup");
  }
  for (int i = 0; i < customers_used * fan_out; ++i) {
    if (!o.pipe_input(id("order", i), id("cust", i % customers_used) + "|item", 1).ok()) {
      return state.SkipWithError("setup");
    }
  }
  driver->output_queue("out").clear();
  std::int64_t n = 0;
  for (auto _ : state) {
    if (!c.pipe_input(id("cust", static_cast<int>(n % customers_used)), id("name", n), 2).ok()) {
      return state.SkipWithError("pipe");
    }
    ++n;
    if (driver->output_queue("out").size() != static_cast<std::size_t>(fan_out)) {
      return state.SkipWithError("not every order re-joined");
    }
    driver->output_queue("out").clear();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * fan_out);
}

BENCHMARK(BM_PrimaryKeyTableJoinLeftUpdate);
BENCHMARK(BM_ForeignKeyJoinLeftUpdate);
BENCHMARK(BM_ForeignKeyJoinForeignUpdate)->Arg(1)->Arg(10)->Arg(100);

}  // namespace
}  // namespace runnel

BENCHMARK_MAIN();
