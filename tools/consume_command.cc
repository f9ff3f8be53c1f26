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
};

void print_bytes(const NullableBytesView& bytes) {
  if (!bytes) {
    std::fputs("(null)", stdout);
  } else {
    std::fwrite(bytes->data(), 1, bytes->size(), stdout);
  }
}

void print_record(const client::ConsumerRecord& record, bool with_headers) {
  std::printf("%d\t%lld\t%lld\t", record.partition(), static_cast<long long>(record.offset()),
              static_cast<long long>(record.timestamp()));
  print_bytes(record.key());
  std::fputc('\t', stdout);
  print_bytes(record.value());
  if (with_headers) {
    std::fputc('\t', stdout);
    bool first = true;
    for (const Header& header : record.headers()) {
      if (!first) std::fputc(',', stdout);
      first = false;
      std::printf("%s=", header.key.c_str());
      print_bytes(header.value ? NullableBytesView(header.value->view()) : std::nullopt);
    }
  }
  std::fputc('\n', stdout);
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
      print_record(record, options.print_headers);
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
  cmd->add_option("--from-time", options->from_time,
                  "Start at the first record at or after this time (epoch ms or "
                  "2026-01-01T00:00:00Z)");
  cmd->add_option("--group", options->group,
                  "Read as a member of this consumer group, committing its progress");
  cmd->add_option("--max", options->max, "Stop after this many records");
  cmd->add_flag("--exit-at-end", options->exit_at_end,
                "Stop when every partition read has reached its end as of the start");
  cmd->add_option("--idle-timeout-ms", options->idle_timeout_ms,
                  "Stop when no record came for this long");
  cmd->add_flag("--print-headers", options->print_headers,
                "Add a column of headers, NAME=VALUE separated by commas");
  cmd->callback([&cluster, &run, options] {
    run = [&cluster, options] { return consume(cluster, *options); };
  });
}

}  // namespace runnel::tools
