#pragma once

#include <cstdint>
#include <string>

namespace runnel {

// Which task runs a processor: the sub-topology it instantiates and the input partition it
// owns. Printed "<subtopology>_<partition>" ("1_3"), as Kafka Streams does in state directory
// names and logs.
// The partition of a global sub-topology's one task (TaskId{subtopology,
// kGlobalTaskPartition}), which reads every partition of its topic. Its stores live in
// <state.dir>/<application.id>/global/.
inline constexpr std::int32_t kGlobalTaskPartition = -1;

struct TaskId {
  std::int32_t subtopology = 0;
  std::int32_t partition = 0;

  std::string to_string() const {
    return std::to_string(subtopology) + "_" + std::to_string(partition);
  }
  friend bool operator==(const TaskId&, const TaskId&) = default;
  friend auto operator<=>(const TaskId&, const TaskId&) = default;
};

}  // namespace runnel
