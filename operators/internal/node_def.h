#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "operators/internal/processor_node.h"

namespace runnel::internal {

enum class NodeKind { kSource, kProcessor, kSink };

// One node of a Topology as the DSL recorded it: what describe() prints and what a task
// needs to make its own instance of the node.
struct NodeDef {
  std::string name;
  NodeKind kind = NodeKind::kProcessor;
  std::vector<std::string> predecessors;  // In the order they were connected.
  // Sources: the topics read. Internal (repartition) topics are stored without the
  // application id, which is only known when the topology runs.
  std::vector<std::string> topics;
  bool internal_topics = false;
  // Sinks: the fixed topic, or empty with a topic extractor; internal as for sources.
  std::string sink_topic;
  bool sink_internal = false;
  std::string extractor_description;  // Non-empty for a sink with a TopicNameExtractor.
  // Sinks with the user's partitioner (Produced, Repartitioned): that partitioner asked of a
  // key alone (Kafka passes no value either), so that interactive queries find the partition
  // a key was written to. `key` points to a value of type `key_type`; nullopt when that is
  // not the sink's key type or the partitioner leaves the choice to murmur2.
  std::function<std::optional<std::int32_t>(const std::string& topic,
                                            const std::type_info& key_type, const void* key,
                                            std::int32_t partitions)>
      key_partitioner;
  // State stores this processor uses (defined in Topology::stores()).
  std::vector<std::string> stores;
  // Makes the node for one task.
  std::function<std::unique_ptr<ProcessorNode>()> factory;
  // Connects a predecessor's instance to this node's instance in one task.
  void (*attach)(ProcessorNode& parent, ProcessorNode& self) = nullptr;
};

// An internal topic: a repartition topic the topology writes and reads back, or a store's
// changelog (written by the store, read only to restore it; compacted).
struct InternalTopicDef {
  // Without the application id: <name>-repartition, <store>-changelog.
  std::string name;
  std::optional<std::int32_t> partitions;
  bool changelog = false;
  std::string store;  // The store of a changelog topic.
};

}  // namespace runnel::internal
