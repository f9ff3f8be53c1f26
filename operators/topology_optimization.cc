#include "operators/topology_optimization.h"

#include <cctype>
#include <vector>

namespace runnel {
namespace {

std::string trimmed(const std::string& s) {
  std::size_t begin = 0;
  std::size_t end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return s.substr(begin, end - begin);
}

}  // namespace

Result<TopologyOptimizations> TopologyOptimizations::parse(const std::string& value) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = value.find(',', start);
    names.push_back(trimmed(value.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  const std::string property = kConfig;
  TopologyOptimizations out;
  if (names.size() == 1 && names[0] == kNone) return out;
  if (names.size() == 1 && names[0] == kAll) {
    out.single_store_self_join = true;
    return out;
  }
  for (const std::string& name : names) {
    if (name == kSingleStoreSelfJoin) {
      out.single_store_self_join = true;
    } else if (name == kNone || name == kAll) {
      return invalid_argument_error(property + ": \"" + name +
                                    "\" cannot be combined with other values, got \"" + value +
                                    "\"");
    } else if (name == kReuseKTableSourceTopics || name == kMergeRepartitionTopics) {
      return invalid_argument_error(property + ": " + name +
                                    " is a Kafka Streams optimization Runnel does not implement; "
                                    "Runnel implements " +
                                    kSingleStoreSelfJoin);
    } else {
      return invalid_argument_error(property +
                                    ": expected none, all or a comma-separated list of " +
                                    kSingleStoreSelfJoin + ", got \"" + value + "\"");
    }
  }
  return out;
}

}  // namespace runnel
