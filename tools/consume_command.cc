#include "tools/consume_command.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/client/consumer.h"
#include "tools/command_output.h"
#include "tools/record_decoder.h"
#include "tools/record_format.h"
#include "tools/time_arg.h"

namespace runnel::tools {
namespace {

std::atomic<bool> interrupted{false};

struct ConsumeOptions {
  std::string topic;
  std::optional<int> partition;
  bool from_beginning = false;
  std::optional<long long> offset;
  std::string from_time;
  std::string group;
  long long max = -1;
  bool exit_at_end = false;
  long long idle_timeout_ms = 0;
  bool print_headers = false;
  std::string format;  // kcat-style; empty: the default columns
  bool json = false;
  std::string key_type = "string";
  std::string value_type = "string";
  std::string proto_descriptor;
  std::string proto_type;
};

// The default columns: PARTITION OFFSET TIMESTAMP KEY VALUE [HEADERS], null as "(null)".
std::string default_line(const client::ConsumerRecord& record, const RecordDecoder& key_decoder,
                         const RecordDecoder& value_decoder, bool with_headers) {
  auto text = [](const RecordDecoder::Decoded& decoded) {
    return decoded.is_null ? std::string("(null)") : decoded.text;
  };
  std::string line = std::to_string(record.partition()) + "\t" + std::to_string(record.offset()) +
                     "\t" + std::to_string(record.timestamp()) + "\t" +
                     text(key_decoder.decode(record.key())) + "\t" +
                     text(value_decoder.decode(record.value()));
  if (with_headers) {
    line += '\t';
    bool first = true;
    for (const Header& header : record.headers()) {
      if (!first) line += ',';
      first = false;
      line += header.key + "=";
      line += header.value ? std::string(header.value->view().as_string_view()) : "(null)";
    }
  }
  return line + "\n";
}

int consume(const ClusterConnection& cluster, const ConsumeOptions& options) {
  int starts = (options.from_beginning ? 1 : 0) + (options.offset ? 1 : 0) +
               (options.from_time.empty() ? 0 : 1);
  if (starts > 1) {
    return fail(invalid_argument_error("choose one of --from-beginning, --offset and --from-time"));
  }
  if (options.offset && !options.partition) {
    return fail(invalid_argument_error("--offset needs --partition"));
  }
  if (!options.group.empty() &&
      (options.offset || !options.from_time.empty() || options.partition)) {
    return fail(invalid_argument_error(
        "--group follows the group's committed offsets: --offset, --from-time and "
        "--partition are for reading without a group"));
  }
  if (options.json && !options.format.empty()) {
    return fail(invalid_argument_error("choose one of --format and --json"));
  }
  std::optional<RecordFormat> format;
  if (options.json) {
    format = RecordFormat::json();
  } else if (!options.format.empty()) {
    auto parsed = RecordFormat::parse(options.format);
    if (!parsed.ok()) return fail(parsed.status());
    format = std::move(*parsed);
  }
  auto key_decoder =
      RecordDecoder::create(options.key_type, options.proto_descriptor, options.proto_type);
  if (!key_decoder.ok()) return fail(key_decoder.status().with_context("--key-type"));
  auto value_decoder =
      RecordDecoder::create(options.value_type, options.proto_descriptor, options.proto_type);
  if (!value_decoder.ok()) return fail(value_decoder.status().with_context("--value-type"));

  std::optional<Timestamp> from_time;
  if (!options.from_time.empty()) {
    auto parsed = parse_time_point(options.from_time);
    if (!parsed.ok()) return fail(parsed.status());
    from_time = *parsed;
  }

  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto topic = (*admin)->describe_topic(options.topic, cluster.timeout);
  if (!topic.ok()) return fail(topic.status());
  if (options.partition) {
    if (Status s = check_partition(*topic, *options.partition); !s.ok()) return fail(s);
  }

  client::ClientConfig config = cluster.client_config({
      {"group.id", options.group.empty() ? "runnel-cli" : options.group},
      // A group's progress is committed by hand, for exactly the records printed.
      {"enable.auto.commit", "false"},
      {"auto.offset.reset", options.from_beginning ? "earliest" : "latest"},
      {"enable.partition.eof", "false"},
  });
  auto consumer = client::Consumer::create(config);
  if (!consumer.ok()) return fail(consumer.status());

  // Where each read partition ends now, for --exit-at-end.
  std::map<int32_t, int64_t> end_offsets;
  std::map<int32_t, int64_t> positions;
  std::vector<int32_t> partitions;
  for (int32_t p = 0; p < topic->partitions; ++p) {
    if (!options.partition || *options.partition == p) partitions.push_back(p);
  }
  if (options.exit_at_end || options.group.empty()) {
    for (int32_t p : partitions) {
      auto marks = (*consumer)->watermark_offsets({options.topic, p}, cluster.timeout);
      if (!marks.ok()) return fail(marks.status());
      end_offsets[p] = marks->second;
      positions[p] = options.from_beginning ? marks->first : marks->second;
    }
  }
  if (options.group.empty()) {
    std::vector<client::TopicPartitionOffset> assignment;
    for (int32_t p : partitions) {
      int64_t start = options.from_beginning ? client::kOffsetBeginning : client::kOffsetEnd;
      if (options.offset) {
        start = *options.offset;
        positions[p] = start;
      }
      if (from_time) {
        auto at = (*consumer)->offset_for_time({options.topic, p}, *from_time, cluster.timeout);
        if (!at.ok()) return fail(at.status());
        start = *at;
        positions[p] = start;
      }
      assignment.push_back({{options.topic, p}, start, {}});
    }
    const Status assigned = (*consumer)->assign(assignment);
    if (!assigned.ok()) return fail(assigned);
  } else {
    const Status subscribed = (*consumer)->subscribe({options.topic});
    if (!subscribed.ok()) return fail(subscribed);
  }

  auto at_end = [&] {
    if (!options.exit_at_end || !options.group.empty()) return false;
    for (int32_t p : partitions) {
      if (positions[p] < end_offsets[p]) return false;
    }
    return true;
  };

  ::signal(SIGINT, [](int) { interrupted = true; });
  ::signal(SIGTERM, [](int) { interrupted = true; });
  long long printed = 0;
  auto last_record = std::chrono::steady_clock::now();
  auto last_commit = last_record;
  std::map<int32_t, int64_t> printed_positions;  // Next offset to read, per printed partition.
  auto commit_progress = [&]() -> Status {
    if (options.group.empty() || printed_positions.empty()) return Status();
    std::vector<client::TopicPartitionOffset> offsets;
    for (const auto& [partition, next] : printed_positions) {
      offsets.push_back({{options.topic, partition}, next, {}});
    }
    last_commit = std::chrono::steady_clock::now();
    return (*consumer)->commit(offsets);
  };
  while (!interrupted && (options.max < 0 || printed < options.max) && !at_end()) {
    auto batch = (*consumer)->poll(std::chrono::milliseconds(200));
    if (!batch.ok()) return fail(batch.status());
    if (!batch->empty()) last_record = std::chrono::steady_clock::now();
    if (!options.group.empty() && printed == 0) {
      // Idle time counts from the group's assignment, not from the join, which takes seconds.
      auto assigned = (*consumer)->assignment();
      if (assigned.ok() && assigned->empty()) last_record = std::chrono::steady_clock::now();
    }
    for (const auto& record : *batch) {
      if (options.max >= 0 && printed >= options.max) break;
      const std::string line =
          format ? format->render(record, **key_decoder, **value_decoder)
                 : default_line(record, **key_decoder, **value_decoder, options.print_headers);
      std::fwrite(line.data(), 1, line.size(), stdout);
      positions[record.partition()] = record.offset() + 1;
      printed_positions[record.partition()] = record.offset() + 1;
      ++printed;
    }
    std::fflush(stdout);
    if (std::chrono::steady_clock::now() - last_commit > std::chrono::seconds(5)) {
      const Status committed = commit_progress();
      if (!committed.ok()) return fail(committed);
    }
    if (options.idle_timeout_ms > 0 && std::chrono::steady_clock::now() - last_record >
                                           std::chrono::milliseconds(options.idle_timeout_ms)) {
      break;
    }
  }
  const Status committed = commit_progress();
  if (!committed.ok()) return fail(committed);
  const Status closed = (*consumer)->close();
  if (!closed.ok()) return fail(closed);
  std::fprintf(stderr, "consumed %lld record(s) from %s\n", printed, options.topic.c_str());
  return 0;
}

}  // namespace

void add_consume_command(CLI::App& parent, const ClusterConnection& cluster,
                         std::function<int()>& run) {
  auto options = std::make_shared<ConsumeOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "consume",
      "Print records: PARTITION<TAB>OFFSET<TAB>TIMESTAMP<TAB>KEY<TAB>VALUE (null as \"(null)\")");
  cmd->add_option("topic", options->topic, "Topic to read")->required();
  cmd->add_option("--partition", options->partition, "Read only this partition");
  cmd->add_flag("--from-beginning", options->from_beginning,
                "Start at each partition's first record (default: at its end)");
  cmd->add_option("--offset", options->offset, "Start at this offset (needs --partition)");
  cmd->add_option(
      "--from-time", options->from_time,
      "Start at the first record at or after this time (epoch ms, 2026-01-01T00:00:00Z, "
      "or a time ago: -1h, -15m, -30s, -2d)");
  cmd->add_option("--group", options->group,
                  "Read as a member of this consumer group, committing its progress");
  cmd->add_option("--max", options->max, "Stop after this many records");
  cmd->add_flag("--exit-at-end", options->exit_at_end,
                "Stop when every partition read has reached its end as of the start");
  cmd->add_option("--idle-timeout-ms", options->idle_timeout_ms,
                  "Stop when no record came for this long");
  cmd->add_flag("--print-headers", options->print_headers,
                "Add a column of headers, NAME=VALUE separated by commas");
  cmd->add_option("--format,-f", options->format,
                  "kcat-style format: %t %p %o %T %k %K %s %S %h, \\n \\t (e.g. '%k=%s\\n')");
  cmd->add_flag("--json", options->json,
                "One JSON object per record: topic, partition, offset, timestamp, key, value, "
                "headers");
  const auto types = CLI::IsMember({"string", "int64", "double", "json", "hex", "protobuf"});
  cmd->add_option("--key-type", options->key_type,
                  "Decode keys as string, int64, double (big-endian, as Kafka's serializers), "
                  "json, hex or protobuf")
      ->capture_default_str()
      ->check(types);
  cmd->add_option("--value-type", options->value_type, "Decode values as --key-type does keys")
      ->capture_default_str()
      ->check(types);
  cmd->add_option("--proto-descriptor", options->proto_descriptor,
                  "FileDescriptorSet (protoc --include_imports --descriptor_set_out) for the "
                  "protobuf type");
  cmd->add_option("--proto-type", options->proto_type,
                  "Full name of the protobuf message type (pkg.Message)");
  cmd->callback([&cluster, &run, options] {
    run = [&cluster, options] { return consume(cluster, *options); };
  });
}

}  // namespace runnel::tools
