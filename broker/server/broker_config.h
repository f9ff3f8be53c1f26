#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "broker/server/server.h"

namespace runnel::broker {

// Everything runneld is started with; runneld's flags (runneld --help) set these, and
// embedding code fills them in directly. Names follow Kafka's broker configs.
struct BrokerConfig {
  std::filesystem::path data_dir;  // log.dirs
  ServerOptions server;            // listener, threads, request size limit, idle timeout
  // What Metadata tells clients to connect to; empty / 0 = the bound listener.
  std::string advertised_host;
  uint16_t advertised_port = 0;
  int32_t node_id = 0;                           // broker.id
  bool auto_create_topics = true;                // auto.create.topics.enable
  int32_t num_partitions = 1;                    // num.partitions, for auto-created topics
  int64_t retention_check_interval_ms = 300000;  // log.retention.check.interval.ms

  // Topic defaults (each topic may override them with its own config).
  int64_t log_segment_bytes = 1073741824;                 // log.segment.bytes -> segment.bytes
  int64_t log_segment_ms = 604800000;                     // log.roll.ms -> segment.ms
  int64_t log_retention_ms = 604800000;                   // log.retention.ms -> retention.ms
  int64_t log_retention_bytes = -1;                       // log.retention.bytes
  int64_t log_flush_messages = INT64_MAX;                 // log.flush.interval.messages
  int64_t log_flush_ms = INT64_MAX;                       // log.flush.interval.ms
  int32_t message_max_bytes = 1048588;                    // message.max.bytes
  std::string log_message_timestamp_type = "CreateTime";  // log.message.timestamp.type
};

}  // namespace runnel::broker
