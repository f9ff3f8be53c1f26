#pragma once

#include <string>

namespace runnel {

// Names one branch of KStream::split. The branch's stream is found in the map that
// default_branch()/no_default_branch() return under <split name><branch name>; without a name
// the branch gets its 1-based position, as in Kafka Streams.
struct Branched {
  std::string name;

  static Branched as(std::string name) { return Branched{std::move(name)}; }
};

}  // namespace runnel
