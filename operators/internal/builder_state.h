#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/serde.h"
#include "core/serdes.h"
#include "operators/internal/node_def.h"
#include "operators/topology.h"
#include "operators/topology_optimization.h"

namespace runnel::internal {

// What a StreamsBuilder and the KStreams it hands out share while a topology is described:
// the topology being built and the counter behind generated names. Owned by the
// StreamsBuilder; KStreams borrow it and must not outlive it.
class BuilderState {
 public:
  // Kafka Streams' generated names: <prefix><10-digit index>, one index for the whole builder
  // (KSTREAM-FILTER-0000000001). Every call takes an index, used or not, as Kafka's does, so
  // that names match what a Kafka Streams application of the same shape would get.
  std::string new_name(const std::string& prefix) {
    char digits[16];
    std::snprintf(digits, sizeof digits, "%010d", index_++);
    return prefix + digits;
  }
  std::string name_or_new(const std::string& given, const std::string& prefix) {
    return given.empty() ? new_name(prefix) : given;
  }

  void add_node(NodeDef node) { topology_.add_node(std::move(node)); }
  void add_internal_topic(InternalTopicDef topic) {
    topology_.add_internal_topic(std::move(topic));
  }
  void set_error(Status status) { topology_.set_error(std::move(status)); }
  // Nodes whose inputs must be co-partitioned (the two sides of a join).
  void add_copartition_group(std::vector<std::string> nodes) {
    topology_.add_copartition_group(std::move(nodes));
  }
  void add_store(StoreDef store) { topology_.add_store(std::move(store)); }
  bool has_store(const std::string& name) const { return topology_.has_store(name); }
  // Kafka Streams' generated store names: <prefix>STATE-STORE-<10-digit index>.
  std::string new_store_name(const std::string& prefix) {
    return new_name(prefix + "STATE-STORE-");
  }

  // A stream-stream join that single.store.self.join may rewrite (TopologyOptimizations):
  // the two-store join's nodes, in creation order, the store the rewrite drops, and the
  // self-join node that replaces them (named as the join's last node, which downstream
  // nodes read from).
  struct SelfJoinRewrite {
    std::vector<std::string> replaced;
    std::string dropped_store;
    NodeDef self_join;
  };
  void add_self_join_candidate(SelfJoinRewrite rewrite) {
    self_joins_.push_back(std::move(rewrite));
  }

  // A repartition a grouping, join or table conversion inserted: the node it repartitions, its
  // topic, the serdes asked for (the operation's overrides and the stream's own, any null) and
  // what it resolved to: the source that reads the topic back and the serdes it writes with
  // (type-erased; the node fixes the key and value types).
  struct Repartition {
    std::string upstream;
    std::string topic;
    std::shared_ptr<const void> key_override;
    std::shared_ptr<const void> value_override;
    std::shared_ptr<const void> stream_key_serde;
    std::shared_ptr<const void> stream_value_serde;
    std::string source;
    std::shared_ptr<const void> key_serde;
    std::shared_ptr<const void> value_serde;
  };
  // The repartition of `upstream` into `topic` made earlier with the same serdes asked for,
  // or null. A second key-dependent operation on the same re-keyed stream (a stream joined
  // with itself, two joins of it) reads that repartition back instead of writing the topic a
  // second time, as Kafka Streams reuses a stream's join repartition. The pointer is valid
  // until the next add_repartition.
  const Repartition* find_repartition(const Repartition& wanted) const {
    auto it = repartitions_.find({wanted.upstream, wanted.topic});
    if (it == repartitions_.end()) return nullptr;
    const Repartition& r = it->second;
    const bool same_serdes = r.key_override == wanted.key_override &&
                             r.value_override == wanted.value_override &&
                             r.stream_key_serde == wanted.stream_key_serde &&
                             r.stream_value_serde == wanted.stream_value_serde;
    return same_serdes ? &r : nullptr;
  }
  // Remembers a repartition for find_repartition (the first one of a node into a topic wins;
  // a second one with other serdes is left to Topology's "read by more than one source").
  void add_repartition(Repartition repartition) {
    std::pair<std::string, std::string> key{repartition.upstream, repartition.topic};
    repartitions_.emplace(std::move(key), std::move(repartition));
  }

  // The topology described so far with the rewrites `optimizations` asks for applied; the
  // builder's own description is left as it is, so build() may be called again. `error`, if
  // not OK, becomes the topology's status (a bad topology.optimization value).
  Topology build(const TopologyOptimizations& optimizations = {}, Status error = Status()) {
    Topology out = topology_;
    if (!error.ok()) out.set_error(std::move(error));
    if (optimizations.single_store_self_join) {
      for (const SelfJoinRewrite& rewrite : self_joins_) {
        out.replace_nodes(rewrite.replaced, rewrite.self_join, rewrite.dropped_store);
      }
    }
    out.finish();
    return out;
  }

 private:
  Topology topology_;
  std::vector<SelfJoinRewrite> self_joins_;
  std::map<std::pair<std::string, std::string>, Repartition> repartitions_;
  int index_ = 0;
};

// The serde a type gets when the user gives none, or null when it has no DefaultSerde.
template <typename T>
std::shared_ptr<const Serde<T>> default_serde() {
  if constexpr (HasDefaultSerde<T>) {
    return std::make_shared<typename DefaultSerde<T>::type>();
  } else {
    return nullptr;
  }
}

// The first non-null of an explicit serde, the stream's and the type's default; records an
// error naming `what` when there is none. Whether the stream knows a serde is only known at
// run time (a stream read with Consumed serdes carries them to its sink), so this check
// cannot be made at compile time.
template <typename T>
std::shared_ptr<const Serde<T>> resolve_serde(BuilderState& state,
                                              std::shared_ptr<const Serde<T>> given,
                                              const std::shared_ptr<const Serde<T>>& known,
                                              const std::string& what) {
  if (given) return given;
  if (known) return known;
  auto fallback = default_serde<T>();
  if (!fallback) {
    state.set_error(invalid_argument_error(
        what +
        ": the type has no default serde and none was given; give one (Consumed, Produced, "
        "Grouped, Materialized or Repartitioned ::with), or give the type a default "
        "(RUNNEL_JSON_DEFAULT_SERDE in core/json_serde.h, a protobuf message, or a "
        "runnel::DefaultSerde specialization)"));
  }
  return fallback;
}

}  // namespace runnel::internal
