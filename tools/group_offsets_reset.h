#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "tools/cluster_connection.h"

namespace runnel::tools {

// Where `runnel groups reset-offsets` moves a group's committed offsets, as
// kafka-consumer-groups.sh's --to-earliest, --to-latest, --to-offset, --to-datetime and
// --shift-by do.
struct ResetTarget {
  enum class Kind { kEarliest, kLatest, kOffset, kDatetime, kShiftBy };
  Kind kind = Kind::kEarliest;
  // The offset (kOffset), the time in ms since the epoch (kDatetime) or the shift (kShiftBy).
  std::int64_t value = 0;
};

// A --topic argument: "orders" (every partition, `partitions` empty) or "orders:0,2".
struct TopicSelection {
  std::string topic;
  std::vector<std::int32_t> partitions;
};

// Parses "topic" or "topic:p[,p...]"; an invalid_argument naming the text otherwise.
Result<TopicSelection> parse_topic_selection(std::string_view text);

// The new committed offset of one partition whose log holds [marks.first, marks.second):
// Kafka's rules, including its clamping of --to-offset and --shift-by into that range.
// `committed` is the group's offset there, if any (--shift-by needs one); `offset_at_time` is
// the first offset at or after the --to-datetime time (the high watermark when none is).
Result<std::int64_t> reset_offset(const ResetTarget& target,
                                  std::pair<std::int64_t, std::int64_t> marks,
                                  std::optional<std::int64_t> committed,
                                  std::optional<std::int64_t> offset_at_time);

struct ResetOffsetsOptions {
  std::string group;
  std::vector<std::string> topics;  // --topic arguments, parsed by parse_topic_selection
  bool all_topics = false;          // every topic the group has committed offsets for
  ResetTarget target;
  bool execute = false;  // without it, print the plan and change nothing (--dry-run)
};

// Prints the plan (GROUP TOPIC PARTITION CURRENT-OFFSET NEW-OFFSET) and, with `execute`,
// commits it for the group. Refused while the group has members: their commits would
// overwrite the reset. Returns the process exit code.
int reset_group_offsets(const ClusterConnection& cluster, const ResetOffsetsOptions& options);

}  // namespace runnel::tools
