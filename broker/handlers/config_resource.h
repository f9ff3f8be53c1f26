#pragma once

#include <cstdint>

namespace runnel::broker {

// Kafka's ConfigResource.Type codes, as DescribeConfigs, AlterConfigs and
// IncrementalAlterConfigs carry them (resource_type).
inline constexpr int8_t kTopicResource = 2;
inline constexpr int8_t kBrokerResource = 4;

}  // namespace runnel::broker
