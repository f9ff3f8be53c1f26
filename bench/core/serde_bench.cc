// Serialization is on every record's path at sources, sinks and stores. These measure the
// cost of each built-in serde per value, serializing into a reused buffer (as a sink does)
// and deserializing from a view (as a source does).

#include <string>

#include <benchmark/benchmark.h>

#include "bench/core/bench_messages.pb.h"
#include "core/protobuf_serde.h"
#include "core/serdes.h"

namespace runnel {
namespace {

template <typename S>
void serialize_into_reused_buffer(benchmark::State& state, const S& serde,
                                  const typename S::Type& value) {
  Bytes out;
  out.reserve(1024);
  for (auto _ : state) {
    out.clear();
    Status status = serde.serialize_to(value, out);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}

template <typename S>
void deserialize_from_view(benchmark::State& state, const S& serde, const typename S::Type& value) {
  Bytes encoded = *serde.serialize(value);
  for (auto _ : state) {
    auto decoded = serde.deserialize(encoded);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * encoded.size()));
}

bench::Transaction sample_transaction() {
  bench::Transaction t;
  t.set_transaction_id("tx-000000012345");
  t.set_card_id("card-004711");
  t.set_amount_cents(12999);
  t.set_currency("EUR");
  t.set_merchant_id("merchant-0815");
  t.set_latitude(52.520008);
  t.set_longitude(13.404954);
  t.set_timestamp_ms(1763800000000);
  return t;
}

void BM_Int64Serialize(benchmark::State& s) { serialize_into_reused_buffer(s, Int64Serde(), 42); }
void BM_Int64Deserialize(benchmark::State& s) { deserialize_from_view(s, Int64Serde(), 42); }
void BM_StringSerialize(benchmark::State& s) {
  serialize_into_reused_buffer(s, StringSerde(), std::string(s.range(0), 'x'));
}
void BM_StringDeserialize(benchmark::State& s) {
  deserialize_from_view(s, StringSerde(), std::string(s.range(0), 'x'));
}
void BM_DoubleSerialize(benchmark::State& s) {
  serialize_into_reused_buffer(s, DoubleSerde(), 3.14159);
}
void BM_ProtobufSerialize(benchmark::State& s) {
  serialize_into_reused_buffer(s, ProtobufSerde<bench::Transaction>(), sample_transaction());
}
void BM_ProtobufDeserialize(benchmark::State& s) {
  deserialize_from_view(s, ProtobufSerde<bench::Transaction>(), sample_transaction());
}

BENCHMARK(BM_Int64Serialize);
BENCHMARK(BM_Int64Deserialize);
BENCHMARK(BM_DoubleSerialize);
BENCHMARK(BM_StringSerialize)->Arg(16)->Arg(100)->Arg(1024);
BENCHMARK(BM_StringDeserialize)->Arg(16)->Arg(100)->Arg(1024);
BENCHMARK(BM_ProtobufSerialize);
BENCHMARK(BM_ProtobufDeserialize);

}  // namespace
}  // namespace runnel

BENCHMARK_MAIN();
