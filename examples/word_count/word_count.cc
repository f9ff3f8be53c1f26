// Word count, the classic: lines of text in, a running count per word out.
//
//   build/bin/word_count --bootstrap-server 127.0.0.1:9092 [--state-dir DIR]
//                        [--config KEY=VALUE ...]
//
// Reads `text-lines`, writes `word-counts` (key: the word, value: its count as a big-endian
// int64, as Kafka's LongSerializer writes it) until SIGINT or SIGTERM, then closes cleanly.
#include <signal.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>

#include "examples/common/streams_cli.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"

namespace {
volatile sig_atomic_t stop = 0;
}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap = "127.0.0.1:9092";
  std::string state_dir = "/tmp/runnel-streams";
  CLI::App cli{"Word count on Runnel: text-lines -> word-counts"};
  cli.add_option("--bootstrap-server", bootstrap, "A broker")->capture_default_str();
  cli.add_option("--state-dir", state_dir, "The application's state.dir")->capture_default_str();
  runnel::StreamsProperties overrides;
  runnel::examples::add_config_option(cli, overrides);
  CLI11_PARSE(cli, argc, argv);

  runnel::StreamsBuilder builder;
  builder.stream<std::string, std::string>("text-lines")
      .flat_map_values([](const std::string& line) {
        std::vector<std::string> words(1);
        for (char c : line) {
          if (std::isalnum(static_cast<unsigned char>(c))) {
            words.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          } else if (!words.back().empty()) {
            words.emplace_back();
          }
        }
        if (words.back().empty()) words.pop_back();
        return words;
      })
      .group_by([](const auto&, const std::string& word) { return word; })
      .count(runnel::Materialized<std::string, std::int64_t>::as("counts"))
      .to_stream()
      .to("word-counts");

  runnel::KafkaStreams app(builder.build(),
                           runnel::examples::with_overrides({{"application.id", "wordcount"},
                                                             {"bootstrap.servers", bootstrap},
                                                             {"state.dir", state_dir},
                                                             {"commit.interval.ms", "500"}},
                                                            overrides));
  if (runnel::Status s = app.start(); !s.ok()) {
    std::fprintf(stderr, "word_count: %s\n", s.to_string().c_str());
    return 1;
  }
  ::signal(SIGINT, [](int) { stop = 1; });
  ::signal(SIGTERM, [](int) { stop = 1; });
  while (!stop && app.state() != runnel::KafkaStreams::State::kError) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const bool failed = app.state() == runnel::KafkaStreams::State::kError;
  app.close();
  return failed ? 1 : 0;
}
