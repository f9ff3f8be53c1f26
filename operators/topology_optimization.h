#pragma once

#include <string>

#include "core/result.h"

namespace runnel {

// The rewrites StreamsBuilder::build applies to the topology it built (Kafka Streams'
// `topology.optimization`). Off unless asked for, as in Kafka Streams: an optimization
// changes the topology's stores and internal topics, so turning one on for an application
// that already ran needs an application reset (its old changelogs no longer match).
//
//   topology.optimization = none (default) | all | a comma-separated list of rewrites
//
// Rewrites Runnel implements:
//   single.store.self.join  (KIP-862) an inner KStream-KStream join of a stream with itself
//       (both sides the same node, no operator between but the one repartition a key change
//       before the join inserts, same serdes)
//       runs as one self-join processor over one window store and one changelog instead of
//       two of each. Its output is the two-store join's, record for record and in the same
//       order. With JoinWindows whose before equals after (the usual case) it also makes one
//       range fetch per record where the two-store join makes two.
// "all" turns on every rewrite Runnel implements. Kafka's other two rewrites,
// reuse.ktable.source.topics and merge.repartition.topics, are not implemented: naming them
// is refused rather than silently ignored.
struct TopologyOptimizations {
  static constexpr const char* kConfig = "topology.optimization";
  static constexpr const char* kNone = "none";
  static constexpr const char* kAll = "all";
  static constexpr const char* kSingleStoreSelfJoin = "single.store.self.join";
  static constexpr const char* kReuseKTableSourceTopics = "reuse.ktable.source.topics";
  static constexpr const char* kMergeRepartitionTopics = "merge.repartition.topics";

  bool single_store_self_join = false;

  // Parses a `topology.optimization` value: "none", "all", or rewrite names separated by
  // commas (blanks around names are ignored; Kafka refuses "none" or "all" in a list, and so
  // does this). InvalidArgument naming the property for an unknown or unimplemented rewrite.
  [[nodiscard]] static Result<TopologyOptimizations> parse(const std::string& value);
};

}  // namespace runnel
