// The codec sits on every request's path. These measure the two bulk paths: decoding a
// Produce request (the records blob must be borrowed, not copied) and encoding a Fetch
// response (the records of every partition are copied once into the response buffer).

#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "broker/protocol/generated/fetch_response.h"
#include "broker/protocol/generated/produce_request.h"
#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"

namespace runnel::broker {
namespace {

std::vector<uint8_t> blob(size_t size) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(i * 31);
  return bytes;
}

// A Produce v7 request body (acks=all, one topic, one partition) with a 16 KiB records blob.
void BM_DecodeProduceV7With16KiBRecords(benchmark::State& state) {
  const std::vector<uint8_t> records = blob(16 * 1024);
  ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 30000;
  request.topic_data.emplace_back();
  request.topic_data.back().name = "payments";
  request.topic_data.back().partition_data.emplace_back();
  request.topic_data.back().partition_data.back().records =
      BytesView(records.data(), records.size());
  WireWriter writer;
  request.encode(writer, 7);
  const Bytes encoded = writer.take();

  for (auto _ : state) {
    ProduceRequest decoded;
    WireReader reader(encoded.view());
    Status status = decoded.decode(reader, 7);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * encoded.size()));
}
BENCHMARK(BM_DecodeProduceV7With16KiBRecords);

// A Fetch v11 response: one topic, 10 partitions each carrying 64 KiB of records.
FetchResponse fetch_response(const std::vector<uint8_t>& records) {
  FetchResponse response;
  response.responses.emplace_back();
  response.responses.back().topic = "payments";
  for (int32_t p = 0; p < 10; ++p) {
    auto& partition = response.responses.back().partitions.emplace_back();
    partition.partition_index = p;
    partition.high_watermark = 1000000;
    partition.last_stable_offset = 1000000;
    partition.log_start_offset = 0;
    partition.aborted_transactions.emplace();
    partition.records = BytesView(records.data(), records.size());
  }
  return response;
}

// Encoded into a fresh, empty buffer each time, as runneld encodes each response: the buffer
// grows as it goes.
void BM_EncodeFetchV11With10x64KiBPartitions(benchmark::State& state) {
  const std::vector<uint8_t> records = blob(64 * 1024);
  const FetchResponse response = fetch_response(records);
  size_t size = 0;
  for (auto _ : state) {
    WireWriter writer;
    response.encode(writer, 11);
    size = writer.size();
    benchmark::DoNotOptimize(writer.bytes().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_EncodeFetchV11With10x64KiBPartitions);

// The same into a fresh buffer reserved up front to the response's size (what a handler
// could do, knowing the records it is about to send): one allocation instead of a doubling
// series, each step zero-filled and copied.
void BM_EncodeFetchV11With10x64KiBPartitionsIntoAReservedBuffer(benchmark::State& state) {
  const std::vector<uint8_t> records = blob(64 * 1024);
  const FetchResponse response = fetch_response(records);
  size_t size = 0;
  for (auto _ : state) {
    WireWriter writer;
    writer.bytes().reserve(10 * records.size() + 4096);
    response.encode(writer, 11);
    size = writer.size();
    benchmark::DoNotOptimize(writer.bytes().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_EncodeFetchV11With10x64KiBPartitionsIntoAReservedBuffer);

// The same into a buffer reused from one encode to the next (capacity kept): what encoding
// costs when the buffer does not have to grow, i.e. the price of growing it above.
void BM_EncodeFetchV11With10x64KiBPartitionsIntoAReusedBuffer(benchmark::State& state) {
  const std::vector<uint8_t> records = blob(64 * 1024);
  const FetchResponse response = fetch_response(records);
  WireWriter writer;
  size_t size = 0;
  for (auto _ : state) {
    writer.bytes().resize(0);
    response.encode(writer, 11);
    size = writer.size();
    benchmark::DoNotOptimize(writer.bytes().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_EncodeFetchV11With10x64KiBPartitionsIntoAReusedBuffer);

}  // namespace
}  // namespace runnel::broker

BENCHMARK_MAIN();
