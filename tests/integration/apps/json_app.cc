// A stateless Streams application over JSON types for test_json_serde.py: it reads payments
// that another client wrote as JSON text and writes receipts as JSON text, with no serde given
// anywhere (both types opt in with RUNNEL_JSON_DEFAULT_SERDE). It runs until SIGTERM or
// SIGINT.
//
//   json_app --bootstrap-server HOST:PORT [--state-dir DIR] [--input T] [--output T]
//
// Input: key a string, value {"card": str, "cents": int, "note": str or null, "tags": [str]}.
// Output: key the input key, value {"card", "cents", "note", "tags", "summary"} with summary
// "<card>:<cents * 2>". A record that is not such JSON is skipped (log-and-continue) and
// counted. After a clean close: "processed: N skipped: M".
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/json_serde.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"

namespace shop {

struct Payment {
  std::string card;
  std::int64_t cents = 0;
  std::optional<std::string> note;
  std::vector<std::string> tags;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Payment, card, cents, note, tags)
RUNNEL_JSON_DEFAULT_SERDE(Payment);

struct Receipt {
  std::string card;
  std::int64_t cents = 0;
  std::optional<std::string> note;
  std::vector<std::string> tags;
  std::string summary;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Receipt, card, cents, note, tags, summary)
RUNNEL_JSON_DEFAULT_SERDE(Receipt);

}  // namespace shop

namespace {

using namespace std::chrono_literals;

volatile sig_atomic_t stop = 0;

runnel::Topology receipts(const std::string& input, const std::string& output) {
  runnel::StreamsBuilder builder;
  builder.stream<std::string, shop::Payment>(input)
      .map_values([](const shop::Payment& p) {
        return shop::Receipt{p.card, p.cents, p.note, p.tags,
                             p.card + ":" + std::to_string(p.cents * 2)};
      })
      .to(output);
  return builder.build();
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap = "127.0.0.1:9092";
  std::string state_dir = "/tmp/runnel-json-app";
  std::string input = "json-payments";
  std::string output = "json-receipts";
  CLI::App cli{"A JSON Streams application for the JSON serde's integration test"};
  cli.add_option("--bootstrap-server", bootstrap, "A broker")->capture_default_str();
  cli.add_option("--state-dir", state_dir, "state.dir")->capture_default_str();
  cli.add_option("--input", input, "The input topic")->capture_default_str();
  cli.add_option("--output", output, "The output topic")->capture_default_str();
  CLI11_PARSE(cli, argc, argv);

  runnel::KafkaStreams app(receipts(input, output),
                           {{"application.id", "json-app"},
                            {"bootstrap.servers", bootstrap},
                            {"state.dir", state_dir},
                            {"commit.interval.ms", "100"},
                            {"default.deserialization.exception.handler", "log-and-continue"}});
  if (runnel::Status s = app.start(); !s.ok()) {
    std::fprintf(stderr, "json_app: %s\n", s.to_string().c_str());
    return 1;
  }
  ::signal(SIGINT, [](int) { stop = 1; });
  ::signal(SIGTERM, [](int) { stop = 1; });
  while (!stop && app.state() != runnel::KafkaStreams::State::kError) {
    std::this_thread::sleep_for(50ms);
  }
  const bool failed = app.state() == runnel::KafkaStreams::State::kError;
  app.close();
  const runnel::KafkaStreams::Metrics m = app.metrics();
  std::printf("processed: %llu skipped: %llu\n", static_cast<unsigned long long>(m.processed),
              static_cast<unsigned long long>(m.skipped_deserialization));
  return failed ? 1 : 0;
}
