#pragma once

#include <string_view>

namespace runnel::broker {

// Topics the broker creates and owns: committed offsets and transaction state. Clients may
// read them, but not delete them or add partitions to them (the coordinators hash group ids
// and transactional ids over a fixed partition count, and deleting them loses every group's
// committed offsets).
inline bool is_broker_internal_topic(std::string_view name) {
  return name == "__consumer_offsets" || name == "__transaction_state";
}

}  // namespace runnel::broker
