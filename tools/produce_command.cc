#include "tools/produce_command.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/client/producer.h"
#include "tools/command_output.h"

namespace runnel::tools {
namespace {

struct ProduceOptions {
  std::string topic;
  int partition = client::kAnyPartition;
  std::string key_separator = "\t";
  bool no_keys = false;
  std::vector<std::string> headers;
  std::string acks = "all";
  bool tombstones = false;                 // Every line is a key; the value is null.
  std::optional<std::string> null_marker;  // A key or value spelt so is null.
};

int produce(const ClusterConnection& cluster, const ProduceOptions& options) {
  if (options.tombstones && options.no_keys) {
    return fail(invalid_argument_error("--tombstone reads keys: it cannot go with --no-keys"));
  }
  if (options.null_marker && options.null_marker->empty()) {
    return fail(invalid_argument_error("--null-marker must not be empty"));
  }
  Headers headers;
  for (const std::string& header : options.headers) {
    const auto equals = header.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fail(invalid_argument_error("--header " + header + ": expected NAME=VALUE"));
    }
    headers.add(header.substr(0, equals), Bytes::from_string(header.substr(equals + 1)));
  }
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  // Checked here, not left to the broker's auto-creation: a typo must not make a topic.
  auto topic = (*admin)->describe_topic(options.topic, cluster.timeout);
  if (!topic.ok()) {
    if (topic.status().code() == StatusCode::kNotFound) {
      return fail(not_found_error("topic " + options.topic + " does not exist (create it with: " +
                                  "runnel topics create " + options.topic + ")"));
    }
    return fail(topic.status());
  }
  if (options.partition != client::kAnyPartition) {
    if (Status s = check_partition(*topic, options.partition); !s.ok()) return fail(s);
  }
  auto producer = client::Producer::create(cluster.client_config({{"acks", options.acks}}));
  if (!producer.ok()) return fail(producer.status());

  std::string line;
  long long sent = 0;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    client::OutgoingRecord record{.topic = options.topic, .partition = options.partition};
    std::string_view text(line);
    auto nullable = [&options](std::string_view part) -> NullableBytesView {
      if (options.null_marker && part == *options.null_marker) return std::nullopt;
      return BytesView(part);
    };
    if (options.tombstones) {
      record.key = nullable(text);
      record.value = std::nullopt;
    } else if (const auto split =
                   options.no_keys ? std::string::npos : text.find(options.key_separator);
               split != std::string::npos) {
      record.key = nullable(text.substr(0, split));
      record.value = nullable(text.substr(split + options.key_separator.size()));
    } else {
      record.value = nullable(text);
    }
    if (!headers.empty()) record.headers = &headers;
    const Status status = (*producer)->send(record);
    if (!status.ok()) return fail(status);
    ++sent;
    if ((sent & 0x3ff) == 0) (*producer)->poll();
  }
  // Long enough for librdkafka's own retries (message.timeout.ms defaults to 300 s).
  const Status flushed = (*producer)->flush(std::chrono::minutes(6));
  if (!flushed.ok()) return fail(flushed);
  std::fprintf(stderr, "produced %lld record(s) to %s\n", sent, options.topic.c_str());
  return 0;
}

}  // namespace

void add_produce_command(CLI::App& parent, const ClusterConnection& cluster,
                         std::function<int()>& run) {
  auto options = std::make_shared<ProduceOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "produce",
      "Send stdin's lines as records: KEY<TAB>VALUE, or VALUE alone (null key), or KEY "
      "alone with --tombstone");
  cmd->add_option("topic", options->topic, "Topic to write to")->required();
  cmd->add_option("--partition", options->partition,
                  "Partition to write to (default: by key hash, as Kafka's producer)");
  cmd->add_option("--key-separator", options->key_separator,
                  "What separates a line's key from its value (default: TAB)");
  cmd->add_flag("--no-keys", options->no_keys, "Every line is a value alone, with a null key");
  cmd->add_option("--header,-H", options->headers, "Header NAME=VALUE on every record, repeatable");
  cmd->add_option("--acks", options->acks, "Acknowledgement the producer waits for: 0, 1 or all")
      ->capture_default_str()
      ->check(CLI::IsMember({"0", "1", "all", "-1"}));
  cmd->add_flag("--tombstone", options->tombstones,
                "Every line is a key, sent with a null value (a tombstone: deletes the key "
                "from a compacted topic)");
  cmd->add_option("--null-marker", options->null_marker,
                  "A key or value exactly this text is sent as null (e.g. --null-marker NULL)");
  cmd->callback([&cluster, &run, options] {
    run = [&cluster, options] { return produce(cluster, *options); };
  });
}

}  // namespace runnel::tools
