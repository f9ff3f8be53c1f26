#pragma once

#include <string>

namespace runnel {

// The name a DSL method gives the processor it creates, instead of a generated one such as
// KSTREAM-FILTER-0000000001. Names show in Topology::describe() and must be unique within a
// topology; fixed names keep a topology's description (and, later, its store and internal
// topic names) stable when operators are added upstream.
struct Named {
  std::string name;

  static Named as(std::string name) { return Named{std::move(name)}; }
};

}  // namespace runnel
