#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/status.h"
#include "operators/internal/node_def.h"
#include "operators/internal/store_def.h"

namespace runnel {
namespace internal {
class BuilderState;
}  // namespace internal

// What Topology::describe() returns: the sub-topologies with their sources, processors and
// sinks. to_string() prints the layout of Kafka Streams' TopologyDescription, so tools that
// read that text (topology visualisers) read this too.
struct TopologyDescription {
  struct Node {
    internal::NodeKind kind;
    std::string name;
    std::vector<std::string> topics;  // Source.
    std::vector<std::string> stores;  // Processor.
    std::string topic;                // Sink with a fixed topic.
    std::string extractor;            // Sink with a TopicNameExtractor.
    std::vector<std::string> predecessors;
    std::vector<std::string> successors;
  };
  struct Subtopology {
    std::int32_t id = 0;
    std::vector<Node> nodes;  // In Kafka's order: larger downstream sub-graph first, then name.
    // A global table's source and store processor (Kafka's GlobalStore description): printed
    // "Sub-topology: <id> for global store (will not generate tasks)".
    bool global = false;
  };
  std::vector<Subtopology> subtopologies;

  std::string to_string() const;
};

std::ostream& operator<<(std::ostream& os, const TopologyDescription& description);

// The processing graph a StreamsBuilder built: source, processor and sink nodes, cut into
// sub-topologies at repartition topics and joined by shared state stores, with the state
// stores the processors use. A runtime
// makes one task per partition of each sub-topology from it. Immutable once built and safe to
// read from many threads; but making a task calls the node factories, which call user
// processor suppliers, so tasks are to be made by one thread at a time.
class Topology {
 public:
  struct Subtopology {
    std::int32_t id = 0;
    std::vector<std::string> nodes;          // In creation order (parents before children).
    std::vector<std::string> source_topics;  // As recorded: internal ones without app id.
    // A global table's source and store processor: numbered among the others as Kafka numbers
    // it, but no task is made of it per partition; the runtime's global state maintainer
    // feeds it every partition of its topic (runtime/global_stream_thread.h).
    bool global = false;
  };

  Topology() = default;

  // OK, or the first error the builder ran into (a duplicate processor name, a missing
  // serde). A topology with an error cannot be run; the runtime refuses it with this status.
  const Status& status() const { return status_; }

  TopologyDescription describe() const;

  // Every sub-topology, global ones included (indexed by id); runtimes make tasks of the
  // others only.
  const std::vector<Subtopology>& subtopologies() const { return subtopologies_; }
  // The names of the global tables' stores, ascending.
  std::vector<std::string> global_store_names() const;
  // The node named `name`, or nullptr.
  const internal::NodeDef* node(const std::string& name) const;
  // Each state store a processor declared, with the processors that use it (in creation
  // order). Processors sharing a store are in one sub-topology.
  std::map<std::string, std::vector<std::string>> store_users() const;
  // Every state store the topology defines, by name.
  const std::map<std::string, internal::StoreDef>& stores() const { return stores_; }
  // The store named `name`, or nullptr.
  const internal::StoreDef* store(const std::string& name) const;
  // Every repartition topic and every logged store's changelog topic
  // (<store>-changelog), named without the application id.
  const std::vector<internal::InternalTopicDef>& internal_topics() const {
    return internal_topics_;
  }
  // Groups of source topics (as recorded in NodeDefs) that must be co-partitioned because a
  // join reads them: same partition count, same partitioner. finish() refuses a group whose
  // internal topics' counts differ; a runtime checks user topics against broker metadata.
  const std::vector<std::vector<std::string>>& copartition_groups() const {
    return copartition_topics_;
  }
  // Whether `topic` (as recorded in a NodeDef) is internal.
  bool is_internal_topic(const std::string& topic) const;
  // An internal topic's name once the application id is known: <application.id>-<topic>.
  static std::string internal_topic_name(const std::string& application_id,
                                         const std::string& topic) {
    return application_id + "-" + topic;
  }

 private:
  friend class internal::BuilderState;

  // Builder side.
  void add_node(internal::NodeDef node);
  void add_internal_topic(internal::InternalTopicDef topic) {
    internal_topics_.push_back(std::move(topic));
  }
  void add_store(internal::StoreDef store);
  void add_copartition_group(std::vector<std::string> nodes) {
    copartition_nodes_.push_back(std::move(nodes));
  }
  bool has_store(const std::string& name) const { return stores_.count(name) != 0; }
  // A build-time rewrite (TopologyOptimizations): `replacement` takes the place of the first
  // of the nodes `replaced` in creation order, the others go, and so does the store
  // `dropped_store`. The nodes downstream keep their predecessors, so the replacement must
  // carry the name of the replaced node they read from. Internal error (in status()) if a
  // node or the store is not there.
  void replace_nodes(const std::vector<std::string>& replaced, internal::NodeDef replacement,
                     const std::string& dropped_store);
  void set_error(Status status) {
    if (status_.ok()) status_ = std::move(status);
  }
  // Cuts the graph into sub-topologies; called by StreamsBuilder::build().
  void finish();
  void check_copartitioning();

  std::vector<internal::NodeDef> nodes_;  // In creation order.
  std::map<std::string, std::size_t> index_;
  std::vector<internal::InternalTopicDef> internal_topics_;
  std::map<std::string, internal::StoreDef> stores_;
  std::vector<std::vector<std::string>> copartition_nodes_;   // Builder side: node names.
  std::vector<std::vector<std::string>> copartition_topics_;  // Set by finish().
  std::vector<Subtopology> subtopologies_;
  Status status_;
};

}  // namespace runnel
