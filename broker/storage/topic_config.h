#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace runnel::broker {

// One config as DescribeConfigs reports it.
struct ConfigEntry {
  std::string name;
  std::string value;
  bool is_default = true;
  bool is_sensitive = false;
  bool read_only = false;
};

// A topic's settings, under Kafka's names and with Kafka's defaults. The broker's defaults
// (runneld flags) apply to every topic that does not override them.
struct TopicConfig {
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  std::string cleanup_policy = "delete";  // cleanup.policy: delete, compact, compact,delete
  int64_t segment_bytes = 1073741824;     // segment.bytes: roll after this many bytes
  int64_t segment_ms = 604800000;         // segment.ms: roll a segment this old (7 days)
  int64_t retention_ms = 604800000;       // retention.ms: -1 keeps forever
  int64_t retention_bytes = -1;           // retention.bytes per partition: -1 = no limit
  int32_t max_message_bytes = 1048588;    // max.message.bytes: largest batch accepted
  std::string message_timestamp_type = "CreateTime";  // or LogAppendTime
  int64_t flush_messages = kNever;         // flush.messages: fsync after this many records
  int64_t flush_ms = kNever;               // flush.ms: fsync when the last is this old
  int32_t index_interval_bytes = 4096;     // index.interval.bytes: offset index density
  double min_cleanable_dirty_ratio = 0.5;  // min.cleanable.dirty.ratio (compaction)
  int64_t delete_retention_ms = 86400000;  // delete.retention.ms (compaction tombstones)
  // Kafka topic configs runneld accepts, keeps and reports but does not act on, because on
  // one node they mean nothing (min.insync.replicas, unclean.leader.election.enable, the
  // throttled replicas) or are not implemented yet (compression.type other than producer,
  // min.compaction.lag.ms, ...): by name, only those set to other than Kafka's default.
  // docs/PROTOCOL.md lists them and why each is not honoured.
  std::map<std::string, std::string> not_enforced;

  bool log_append_time() const { return message_timestamp_type == "LogAppendTime"; }
  // cleanup.policy includes compact: the log cleaner keeps the newest record per key.
  bool compacted() const { return cleanup_policy.find("compact") != std::string::npos; }
  // cleanup.policy includes delete: retention.ms and retention.bytes delete old segments.
  bool deletes() const { return cleanup_policy.find("delete") != std::string::npos; }

  // *this with Kafka-named string overrides applied ("retention.ms" -> "1000"). Every Kafka
  // topic config name is accepted; an unknown name or a bad value (Kafka's type and range)
  // gives invalid_argument_error naming the config and the value.
  Result<TopicConfig> with_overrides(const std::map<std::string, std::string>& overrides) const;

  // Every config (the not-enforced ones included, at Kafka's default unless set), with its
  // value and whether it equals `defaults`' value.
  std::vector<ConfigEntry> describe(const TopicConfig& defaults) const;

  bool operator==(const TopicConfig&) const = default;
};

// Kafka's rule for topic names: 1 to 249 characters from [a-zA-Z0-9._-], not "." or "..".
// invalid_argument_error says which rule the name breaks.
Status validate_topic_name(std::string_view name);

}  // namespace runnel::broker
